//! The operation mix (`put=50,get=40,query=10`) and duration parsing.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    Put,
    Get,
    Query,
}

impl Op {
    pub const ALL: [Op; 3] = [Op::Put, Op::Get, Op::Query];

    pub fn name(self) -> &'static str {
        match self {
            Op::Put => "put",
            Op::Get => "get",
            Op::Query => "query",
        }
    }

    /// The DynamoDB operation it sends.
    pub fn target(self) -> &'static str {
        match self {
            Op::Put => "DynamoDB_20120810.PutItem",
            Op::Get => "DynamoDB_20120810.GetItem",
            Op::Query => "DynamoDB_20120810.Query",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Op {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "put" | "putitem" => Ok(Op::Put),
            "get" | "getitem" => Ok(Op::Get),
            "query" => Ok(Op::Query),
            other => Err(format!("unknown op {other:?} (expected put, get or query)")),
        }
    }
}

/// Weights of each op; picks an op from a uniform random number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mix {
    /// (op, cumulative upper bound), in the order given, zero weights dropped.
    table: Vec<(Op, u32)>,
    total: u32,
}

impl Mix {
    pub fn weight(&self, op: Op) -> u32 {
        let mut prev = 0;
        for &(o, upper) in &self.table {
            if o == op {
                return upper - prev;
            }
            prev = upper;
        }
        0
    }

    pub fn total(&self) -> u32 {
        self.total
    }

    pub fn ops(&self) -> impl Iterator<Item = Op> + '_ {
        self.table.iter().map(|&(o, _)| o)
    }

    /// The op for a random `r` (any u32; reduced modulo the total weight).
    #[inline]
    pub fn pick(&self, r: u32) -> Op {
        if self.table.len() == 1 {
            return self.table[0].0;
        }
        let x = r % self.total;
        for &(op, upper) in &self.table {
            if x < upper {
                return op;
            }
        }
        unreachable!("x < total")
    }
}

impl FromStr for Mix {
    type Err = String;
    /// `put=50,get=40,query=10`; a bare op name means weight 1 (`put` = `put=1`).
    fn from_str(s: &str) -> Result<Self, String> {
        let mut table = Vec::new();
        let mut total: u32 = 0;
        let mut seen = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, weight) = match part.split_once('=') {
                Some((n, w)) => {
                    let w: u32 = w
                        .trim()
                        .parse()
                        .map_err(|_| format!("bad weight in {part:?}: expected an integer"))?;
                    (n, w)
                }
                None => (part, 1),
            };
            let op: Op = name.parse()?;
            if seen.contains(&op) {
                return Err(format!("op {op} given twice"));
            }
            seen.push(op);
            if weight == 0 {
                continue;
            }
            total = total
                .checked_add(weight)
                .filter(|t| *t <= 1_000_000)
                .ok_or("weights add up to more than 1000000")?;
            table.push((op, total));
        }
        if total == 0 {
            return Err("the mix has no op with a positive weight".into());
        }
        Ok(Mix { table, total })
    }
}

impl fmt::Display for Mix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, op) in self.ops().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{op}={}", self.weight(op))?;
        }
        Ok(())
    }
}

/// `10s`, `500ms`, `2m`, `1.5s`, `1h`, `250us`; a bare number is seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("bad duration {s:?}: expected e.g. 10s, 500ms, 2m"))?;
    let secs = match unit.trim() {
        "" | "s" | "sec" | "secs" => n,
        "ms" => n / 1e3,
        "us" | "µs" => n / 1e6,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        other => return Err(format!("bad duration unit {other:?} in {s:?}")),
    };
    if !(0.0..=1e7).contains(&secs) {
        return Err(format!("duration {s:?} out of range"));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_mixes() {
        let m: Mix = "put=50,get=40,query=10".parse().unwrap();
        assert_eq!(m.total(), 100);
        assert_eq!(m.weight(Op::Put), 50);
        assert_eq!(m.weight(Op::Get), 40);
        assert_eq!(m.weight(Op::Query), 10);
        assert_eq!(m.to_string(), "put=50,get=40,query=10");

        let m: Mix = "put=100".parse().unwrap();
        assert_eq!(m.ops().collect::<Vec<_>>(), vec![Op::Put]);
        assert_eq!(m.pick(12345), Op::Put);

        let m: Mix = " GET = 3 , query ".parse().unwrap();
        assert_eq!(
            (m.weight(Op::Get), m.weight(Op::Query), m.total()),
            (3, 1, 4)
        );

        let m: Mix = "put=0,get=1".parse().unwrap();
        assert_eq!(m.ops().collect::<Vec<_>>(), vec![Op::Get]);
        assert_eq!(m.weight(Op::Put), 0);
    }

    #[test]
    fn rejects_bad_mixes() {
        for bad in [
            "",
            "put=0",
            "scan=1",
            "put=x",
            "put=-1",
            "put=1,put=2",
            "put=4000000000,get=4000000000",
        ] {
            assert!(bad.parse::<Mix>().is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn picks_follow_weights() {
        let m: Mix = "put=50,get=40,query=10".parse().unwrap();
        let mut counts = [0u32; 3];
        for r in 0..1000u32 {
            counts[m.pick(r).index()] += 1;
        }
        assert_eq!(counts, [500, 400, 100]);
        assert_eq!(m.pick(0), Op::Put);
        assert_eq!(m.pick(49), Op::Put);
        assert_eq!(m.pick(50), Op::Get);
        assert_eq!(m.pick(89), Op::Get);
        assert_eq!(m.pick(90), Op::Query);
        assert_eq!(m.pick(99), Op::Query);
        assert_eq!(m.pick(100), Op::Put);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_duration("10").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("0s").unwrap(), Duration::ZERO);
        assert_eq!(parse_duration("250us").unwrap(), Duration::from_micros(250));
        for bad in ["", "s", "10x", "-1s", "1e9h", "1.2.3s"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }
}
