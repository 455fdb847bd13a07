//! Reading the profiles `solvrac build --profile` executables write (`solvrac profile report`
//! and `profile flamegraph`; the format is runtime-lib `debug/profile.rs`, docs/DEBUGGING.md).
//!
//! A block's weight is how often it ran times its bytecode instructions: the instructions it
//! executed, the unit of the cost meter. Functions and lines are ranked by that.

use std::collections::HashMap;

/// One block of a profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    pub count: u64,
    /// Bytecode instructions in the block.
    pub cost: u64,
    pub function: String,
    pub file: String,
    pub line: u32,
    /// Bytecode function index and pc of the block's start.
    pub func: u32,
    pub pc: u32,
}

impl Block {
    /// Instructions the block executed.
    pub fn weight(&self) -> u64 {
        self.count.saturating_mul(self.cost)
    }
}

/// Parses a profile file.
pub fn parse(text: &str) -> Result<Vec<Block>, String> {
    let mut lines = text.lines();
    if lines.next() != Some("solvra-profile 1") {
        return Err("not a solvra profile (the first line is not `solvra-profile 1`)".into());
    }
    lines
        .enumerate()
        .map(|(i, line)| {
            let bad = || format!("line {}: malformed block", i + 2);
            let f: Vec<&str> = line.split('\t').collect();
            if f.len() != 7 {
                return Err(bad());
            }
            let num = |s: &str| s.parse::<u64>().map_err(|_| bad());
            Ok(Block {
                count: num(f[0])?,
                cost: num(f[1])?,
                function: f[2].to_string(),
                file: f[3].to_string(),
                line: num(f[4])? as u32,
                func: num(f[5])? as u32,
                pc: num(f[6])? as u32,
            })
        })
        .collect()
}

/// How often each block ran, by bytecode function and block start (`build --profile-use`).
pub fn counts(blocks: &[Block]) -> std::collections::HashMap<(u32, u32), u64> {
    blocks.iter().map(|b| ((b.func, b.pc), b.count)).collect()
}

/// Sums weights by key, heaviest first (ties by key), without the ones that never ran.
fn ranked(blocks: &[Block], key: impl Fn(&Block) -> String) -> Vec<(String, u64)> {
    let mut sums: HashMap<String, u64> = HashMap::new();
    for b in blocks {
        *sums.entry(key(b)).or_default() += b.weight();
    }
    let mut v: Vec<(String, u64)> = sums.into_iter().filter(|(_, w)| *w > 0).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

/// `solvrac profile report`: the `top` hottest functions and lines with their share of all
/// executed instructions.
pub fn report(blocks: &[Block], top: usize) -> String {
    let total: u64 = blocks.iter().map(Block::weight).sum();
    let mut out = format!("{total} bytecode instructions executed\n");
    let pct = |w: u64| 100.0 * w as f64 / total.max(1) as f64;
    out.push_str("\nhottest functions:\n");
    for (name, w) in ranked(blocks, |b| format!("{} ({})", b.function, b.file))
        .into_iter()
        .take(top)
    {
        out.push_str(&format!("{:6.2}% {w:>12}  {name}\n", pct(w)));
    }
    out.push_str("\nhottest lines:\n");
    for (name, w) in ranked(blocks, |b| {
        format!("{}:{} ({})", b.file, b.line, b.function)
    })
    .into_iter()
    .take(top)
    {
        out.push_str(&format!("{:6.2}% {w:>12}  {name}\n", pct(w)));
    }
    out
}

/// The profile as folded stacks for a flame graph: `FILE;FUNCTION;line N WEIGHT`, sorted.
pub fn folded(blocks: &[Block]) -> Vec<String> {
    // Frames may hold spaces: the weight is what follows the last one.
    let mut v: Vec<String> = ranked(blocks, |b| {
        format!("{};{};line {}", b.file, b.function, b.line)
    })
    .into_iter()
    .map(|(k, w)| format!("{k} {w}"))
    .collect();
    v.sort();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROFILE: &str = "solvra-profile 1\n\
        10\t3\tf\ta.svs\t2\t0\t0\n\
        2\t5\tg\ta.svs\t6\t1\t0\n\
        0\t4\tg\ta.svs\t7\t1\t5\n\
        1\t2\t<top level>\ta.svs\t1\t2\t0\n";

    #[test]
    fn report_ranks_functions_and_lines_by_instructions() {
        let blocks = parse(PROFILE).unwrap();
        assert_eq!(blocks[1].weight(), 10);
        assert_eq!(
            report(&blocks, 2),
            "42 bytecode instructions executed\n\nhottest functions:\n 71.43%           30  f (a.svs)\n \
             23.81%           10  g (a.svs)\n\nhottest lines:\n 71.43%           30  a.svs:2 (f)\n \
             23.81%           10  a.svs:6 (g)\n"
        );
        assert_eq!(
            folded(&blocks),
            [
                "a.svs;<top level>;line 1 2",
                "a.svs;f;line 2 30",
                "a.svs;g;line 6 10"
            ]
        );
    }

    #[test]
    fn malformed_profiles_are_errors() {
        assert!(parse("").is_err());
        assert!(parse("solvra-profile 1\n1\t2\n").is_err());
        assert!(parse("solvra-profile 1\nx\t1\tf\ta\t1\t0\t0\n").is_err());
        assert_eq!(parse("solvra-profile 1\n").unwrap(), []);
    }
}
