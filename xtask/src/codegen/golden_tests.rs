//! Golden tests: small fixture specs of the generator's own, their expected output, and the
//! errors it must give on what it does not support.
