// `node --test web/e2e/` runs files named *.test.mjs; the journey lives in
// console.spec.mjs and is loaded from here.
import './console.spec.mjs';
