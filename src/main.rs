//! The `gatehouse` command; all the work is in the library.

fn main() -> std::process::ExitCode {
    gatehouse::app::main()
}
