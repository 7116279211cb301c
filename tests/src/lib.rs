//! Shared helpers for the workspace-level tests (the tests themselves live in `tests/tests/`).
