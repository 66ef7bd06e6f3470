package sim

import "errors"

// ErrInvalidConfig reports a Config or SIM_* variable that cannot work; the
// wrapping message names the variable.
var ErrInvalidConfig = errors.New("sim: invalid config")
