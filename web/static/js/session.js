// The signed-in session as pages see it: the user, their organizations,
// the organization chosen in the header, and the language.
import { createContext } from '../vendor/preact.mjs';
import { useContext } from '../vendor/hooks.mjs';

export const Session = createContext(null);

export function useSession() {
  return useContext(Session);
}
