//! Integration tests: one binary (as in nexosim and ripgrep), one module per behaviour,
//! driving the `cachegate` command line with assert_cmd.

mod audit_cli;
mod backend_cli;
mod check_in_run_cli;
mod fit_cli;
mod import_cli;
mod policy_cli;
mod replay_cli;
mod report_cli;
mod run_cli;
mod trace_checks_cli;
mod validate_cli;
