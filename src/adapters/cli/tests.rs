//! Tests of the command tree against the README's command table.
use clap::CommandFactory;

/// `gatehouse <command> [<subcommand>]` for every leaf of the command tree.
fn leaf_commands() -> Vec<String> {
    let mut leaves = Vec::new();
    for command in super::Cli::command().get_subcommands() {
        let subs: Vec<_> = command.get_subcommands().collect();
        if subs.is_empty() {
            leaves.push(format!("gatehouse {}", command.get_name()));
        }
        for sub in subs {
            leaves.push(format!(
                "gatehouse {} {}",
                command.get_name(),
                sub.get_name()
            ));
        }
    }
    leaves
}

/// The README's command table names every command, as `gatehouse X Y` or in a
/// `gatehouse X a|b|c` row.
#[test]
fn the_readme_command_table_lists_every_command() {
    let readme = include_str!("../../../README.md");
    let rows: Vec<&str> = readme
        .lines()
        .filter(|l| l.starts_with("| `gatehouse "))
        .collect();
    let missing: Vec<String> = leaf_commands()
        .into_iter()
        .filter(|leaf| {
            let mut words = leaf.split(' ').skip(1);
            let (command, sub) = (words.next().unwrap(), words.next());
            !rows.iter().any(|row| {
                // Cells split at unescaped `|`; `a\|b` lists alternatives.
                let row = row.replace("\\|", "\u{1}");
                let cell = row.split('|').nth(1).unwrap_or_default();
                let named = cell.trim().trim_matches('`');
                let mut parts = named.split_whitespace().skip(1);
                if parts.next() != Some(command) {
                    return false;
                }
                match (sub, parts.next()) {
                    (None, _) => true,
                    (Some(sub), Some(listed)) => listed
                        .trim_end_matches('`')
                        .split('\u{1}')
                        .any(|s| s == sub),
                    (Some(_), None) => false,
                }
            })
        })
        .collect();
    assert!(
        missing.is_empty(),
        "README.md's command table lacks {missing:?}"
    );
}
