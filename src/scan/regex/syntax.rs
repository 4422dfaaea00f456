//! YARA's regular-expression dialect, parsed into a small tree.
//!
//! The dialect is yara's, not Perl's: `\b \B \w \W \s \S \d \D`, `\xHH`, `\n \t \r \f \a`,
//! any other escaped character stands for itself (`\v` is `v`); `{` that does not open a valid
//! repeat (`{n}`, `{n,m}`, `{,m}`, `{n,}`, spaces allowed around the comma) is a literal; bounds
//! are at most 32,767 and `{n,}` means `{n,32767}`; `^`, `$`, `\b` and `\B` take no repeat;
//! back-references, `(?...)` groups and non-ASCII characters inside a class are errors. Every
//! other byte outside a class, non-ASCII ones included, is a literal.

/// Largest repeat bound yara accepts.
pub(crate) const MAX_REPEAT: u32 = 32_767;

/// A 256-bit byte set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) struct ByteSet(pub [u64; 4]);

impl ByteSet {
    /// Adds `b`.
    pub fn insert(&mut self, b: u8) {
        self.0[(b >> 6) as usize] |= 1 << (b & 63);
    }

    /// Whether `b` is in the set.
    pub fn contains(&self, b: u8) -> bool {
        self.0[(b >> 6) as usize] & (1 << (b & 63)) != 0
    }

    /// The set of bytes `f` accepts.
    pub fn from_fn(f: impl Fn(u8) -> bool) -> Self {
        let mut set = Self::default();
        for b in 0..=255u8 {
            if f(b) {
                set.insert(b);
            }
        }
        set
    }

    /// The complement.
    pub fn negated(self) -> Self {
        Self(self.0.map(|w| !w))
    }

    /// The set's runs of consecutive bytes, as (first, last), ascending.
    pub fn ranges(&self) -> Vec<(u8, u8)> {
        let mut out = Vec::new();
        let mut b = 0usize;
        while b < 256 {
            if self.contains(b as u8) {
                let start = b;
                while b + 1 < 256 && self.contains((b + 1) as u8) {
                    b += 1;
                }
                out.push((start as u8, b as u8));
            }
            b += 1;
        }
        out
    }

    /// The union.
    pub fn union(self, other: Self) -> Self {
        let mut out = self;
        for (a, b) in out.0.iter_mut().zip(other.0) {
            *a |= b;
        }
        out
    }
}

/// yara's word characters (`\w`): ASCII letters, digits and `_`.
pub(crate) fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The set of a class shorthand `\w \W \s \S \d \D` (`letter` is what follows the `\`).
fn shorthand(letter: Option<&u8>) -> Option<ByteSet> {
    let digit = |b: u8| b.is_ascii_digit();
    Some(match letter? {
        b'w' => ByteSet::from_fn(is_word),
        b'W' => ByteSet::from_fn(is_word).negated(),
        b's' => ByteSet::from_fn(is_space),
        b'S' => ByteSet::from_fn(is_space).negated(),
        b'd' => ByteSet::from_fn(digit),
        b'D' => ByteSet::from_fn(digit).negated(),
        _ => return None,
    })
}

/// yara's space characters (`\s`): space, `\t \n \v \f \r`.
fn is_space(b: u8) -> bool {
    b == b' ' || (0x09..=0x0d).contains(&b)
}

/// A node of a parsed regular expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Node {
    /// Matches the empty string (the empty side of `a|`).
    Empty,
    /// One byte.
    Literal(u8),
    /// One byte of a set (classes, `\w` and the like).
    Class(ByteSet),
    /// One byte outside a set (`[^...]`): with `nocase`, yara folds the set's letters before
    /// negating it, so `[^a-z]` matches no letter of either case.
    NegatedClass(ByteSet),
    /// `.`: any byte but `\n` (any byte with the `s` flag).
    Any,
    /// `^`: the start of the data.
    Start,
    /// `$`: the end of the data.
    End,
    /// `\b`.
    WordBoundary,
    /// `\B`.
    NotWordBoundary,
    /// Nodes in sequence.
    Concat(Vec<Node>),
    /// Alternatives, in priority order.
    Alt(Vec<Node>),
    /// A repeat.
    Repeat {
        /// What repeats.
        node: Box<Node>,
        /// Fewest repetitions.
        min: u32,
        /// Most (None: unbounded).
        max: Option<u32>,
        /// Greedy (`*`) or lazy (`*?`).
        greedy: bool,
    },
}

impl Node {
    /// Whether this node or one inside it satisfies `test`.
    pub fn any(&self, test: &dyn Fn(&Node) -> bool) -> bool {
        test(self)
            || match self {
                Node::Concat(items) | Node::Alt(items) => items.iter().any(|n| n.any(test)),
                Node::Repeat { node, .. } => node.any(test),
                _ => false,
            }
    }

    /// Whether this node or one inside it tests the data around its path (`^`, `$`, `\b`,
    /// `\B`).
    pub fn has_look_around(&self) -> bool {
        self.any(&|n| {
            matches!(
                n,
                Node::Start | Node::End | Node::WordBoundary | Node::NotWordBoundary
            )
        })
    }
}

/// A parsed regular expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Parsed {
    /// The tree.
    pub root: Node,
    /// Whether it has a greedy repeat.
    pub greedy: bool,
    /// Whether it has a lazy repeat.
    pub lazy: bool,
}

/// A syntax error at a byte offset of the expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    /// Offset in the expression's text.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

/// Parses the text between the slashes of a yara regular expression.
pub(crate) fn parse(text: &[u8]) -> Result<Parsed, SyntaxError> {
    let mut p = Parser {
        text,
        pos: 0,
        greedy: false,
        lazy: false,
        depth: 0,
    };
    let root = p.alternative()?;
    if p.pos < text.len() {
        return Err(p.error("unbalanced `)`"));
    }
    Ok(Parsed {
        root,
        greedy: p.greedy,
        lazy: p.lazy,
    })
}

/// Deepest nesting of groups.
const MAX_DEPTH: usize = 256;

struct Parser<'a> {
    text: &'a [u8],
    pos: usize,
    greedy: bool,
    lazy: bool,
    depth: usize,
}

impl Parser<'_> {
    fn error(&self, message: &str) -> SyntaxError {
        SyntaxError {
            offset: self.pos,
            message: message.to_string(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn alternative(&mut self) -> Result<Node, SyntaxError> {
        let mut branches = vec![self.concatenation()?];
        while self.peek() == Some(b'|') {
            self.pos += 1;
            if matches!(self.peek(), None | Some(b')' | b'|')) {
                branches.push(Node::Empty);
            } else {
                branches.push(self.concatenation()?);
            }
        }
        Ok(if branches.len() == 1 {
            branches.pop().expect("one branch")
        } else {
            Node::Alt(branches)
        })
    }

    fn concatenation(&mut self) -> Result<Node, SyntaxError> {
        let mut items = Vec::new();
        while let Some(c) = self.peek() {
            if c == b'|' || c == b')' {
                break;
            }
            items.push(self.repeat()?);
        }
        if items.is_empty() {
            let what = if self.depth > 0 && self.pos == self.text.len() {
                "missing `)`"
            } else {
                "empty expression"
            };
            return Err(self.error(what));
        }
        Ok(if items.len() == 1 {
            items.pop().expect("one item")
        } else {
            Node::Concat(items)
        })
    }

    fn repeat(&mut self) -> Result<Node, SyntaxError> {
        let assertion = match (self.peek(), self.text.get(self.pos + 1)) {
            (Some(b'^'), _) => Some((1, Node::Start)),
            (Some(b'$'), _) => Some((1, Node::End)),
            (Some(b'\\'), Some(b'b')) => Some((2, Node::WordBoundary)),
            (Some(b'\\'), Some(b'B')) => Some((2, Node::NotWordBoundary)),
            _ => None,
        };
        if let Some((width, node)) = assertion {
            self.pos += width;
            return Ok(node);
        }
        let single = self.single()?;
        let (min, max) = match self.peek() {
            Some(b'*') => {
                self.pos += 1;
                (0, None)
            }
            Some(b'+') => {
                self.pos += 1;
                (1, None)
            }
            Some(b'?') => {
                self.pos += 1;
                (0, Some(1))
            }
            Some(b'{') => match self.range()? {
                Some(bounds) => bounds,
                None => return Ok(single),
            },
            _ => return Ok(single),
        };
        let greedy = if self.peek() == Some(b'?') {
            self.pos += 1;
            self.lazy = true;
            false
        } else {
            self.greedy = true;
            true
        };
        if matches!(self.peek(), Some(b'*' | b'+' | b'?'))
            || (self.peek() == Some(b'{') && self.range_at(self.pos).is_some())
        {
            return Err(self.error("a repeat cannot be repeated"));
        }
        Ok(Node::Repeat {
            node: Box::new(single),
            min,
            max,
            greedy,
        })
    }

    /// A repeat `{...}` at `at`: its end and bounds, when the text there is one.
    fn range_at(&self, at: usize) -> Option<(usize, Option<u64>, Option<u64>, bool)> {
        let t = self.text;
        let mut i = at + 1;
        let digits = |i: &mut usize| {
            let start = *i;
            while t.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            (*i > start).then(|| {
                std::str::from_utf8(&t[start..*i])
                    .ok()
                    .and_then(|s| s.parse::<u64>().ok())
                    .unwrap_or(u64::MAX)
            })
        };
        let lo = digits(&mut i);
        let mut comma = false;
        let mut hi = None;
        let spaces = |i: &mut usize| {
            while t.get(*i) == Some(&b' ') {
                *i += 1;
            }
        };
        let save = i;
        spaces(&mut i);
        if t.get(i) == Some(&b',') {
            comma = true;
            i += 1;
            spaces(&mut i);
            hi = digits(&mut i);
        } else {
            i = save;
            lo?;
        }
        (t.get(i) == Some(&b'}')).then_some((i + 1, lo, hi, comma))
    }

    /// Parses `{...}` as a repeat; None when it is a literal `{`.
    #[allow(clippy::type_complexity)]
    fn range(&mut self) -> Result<Option<(u32, Option<u32>)>, SyntaxError> {
        let Some((end, lo, hi, comma)) = self.range_at(self.pos) else {
            return Ok(None);
        };
        let max = u64::from(MAX_REPEAT);
        let lo = lo.unwrap_or(0);
        let hi = if comma { hi } else { Some(lo) };
        if lo > max || hi.is_some_and(|h| h > max) {
            return Err(self.error("repeat interval too large"));
        }
        if hi.is_some_and(|h| h < lo) {
            return Err(self.error("bad repeat interval"));
        }
        self.pos = end;
        Ok(Some((lo as u32, hi.map(|h| h as u32))))
    }

    fn single(&mut self) -> Result<Node, SyntaxError> {
        let Some(c) = self.peek() else {
            return Err(self.error("unexpected end of expression"));
        };
        match c {
            b'(' => {
                if self.text.get(self.pos + 1) == Some(&b'?') {
                    return Err(
                        self.error("`(?` groups are not part of yara's regular expressions")
                    );
                }
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(self.error("groups nested too deeply"));
                }
                self.pos += 1;
                let inner = self.alternative()?;
                if self.peek() != Some(b')') {
                    return Err(self.error("missing `)`"));
                }
                self.pos += 1;
                self.depth -= 1;
                Ok(inner)
            }
            b'.' => {
                self.pos += 1;
                Ok(Node::Any)
            }
            b'[' => self.class(),
            b'\\' => self.escape(),
            b'*' | b'+' | b'?' | b'|' | b')' | b'^' | b'$' => {
                Err(self.error(&format!("unexpected `{}`", c as char)))
            }
            b'{' if self.range_at(self.pos).is_some() => {
                Err(self.error("a repeat with nothing to repeat"))
            }
            _ => {
                self.pos += 1;
                Ok(Node::Literal(c))
            }
        }
    }

    fn escape(&mut self) -> Result<Node, SyntaxError> {
        let next = self.text.get(self.pos + 1);
        if next.is_some_and(u8::is_ascii_digit) {
            return Err(self.error("backreferences are not allowed"));
        }
        let class = shorthand(next);
        if let Some(set) = class {
            self.pos += 2;
            return Ok(Node::Class(set));
        }
        Ok(Node::Literal(self.escaped_char()?))
    }

    /// The value of the escape sequence at `pos` (a `\`), consumed.
    fn escaped_char(&mut self) -> Result<u8, SyntaxError> {
        let Some(&c) = self.text.get(self.pos + 1) else {
            return Err(self.error("illegal escape sequence"));
        };
        let value = match c {
            b'x' => {
                let hex = self.text.get(self.pos + 2..self.pos + 4);
                let value = hex
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| self.error("illegal escape sequence"))?;
                self.pos += 4;
                return Ok(value);
            }
            b'n' => b'\n',
            b't' => b'\t',
            b'r' => b'\r',
            b'f' => 0x0c,
            b'a' => 0x07,
            other => other,
        };
        self.pos += 2;
        Ok(value)
    }

    fn class(&mut self) -> Result<Node, SyntaxError> {
        self.pos += 1;
        let negated = self.peek() == Some(b'^');
        if negated {
            self.pos += 1;
        }
        let mut set = ByteSet::default();
        if self.peek() == Some(b']') {
            set.insert(b']');
            self.pos += 1;
        }
        loop {
            let Some(c) = self.peek() else {
                return Err(self.error("missing terminating ] for character class"));
            };
            if c == b']' {
                self.pos += 1;
                break;
            }
            if let Some((start, end)) = self.class_range()? {
                for b in start..=end {
                    set.insert(b);
                }
                continue;
            }
            if c == b'\\' {
                match shorthand(self.text.get(self.pos + 1)) {
                    Some(s) => {
                        set = set.union(s);
                        self.pos += 2;
                    }
                    None => set.insert(self.escaped_char()?),
                }
                continue;
            }
            if !(32..127).contains(&c) {
                return Err(self.error("non-ascii character"));
            }
            set.insert(c);
            self.pos += 1;
        }
        Ok(if negated {
            Node::NegatedClass(set)
        } else {
            Node::Class(set)
        })
    }

    /// A range `a-z` at `pos` inside a class (its start is `\xHH`, any escaped character or a
    /// character other than `]` and `\`; its end any character but `]`), consumed.
    fn class_range(&mut self) -> Result<Option<(u8, u8)>, SyntaxError> {
        let t = self.text;
        let save = self.pos;
        let start = match t.get(self.pos) {
            Some(b'\\') => {
                let is_hex = t.get(self.pos + 1) == Some(&b'x')
                    && t.get(self.pos + 2..self.pos + 4)
                        .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
                if !is_hex && t.get(self.pos + 1).is_none() {
                    return Ok(None);
                }
                if t.get(self.pos + 1) == Some(&b'x') && !is_hex {
                    return Ok(None);
                }
                self.escaped_char()?
            }
            Some(&c) if c != b']' => {
                self.pos += 1;
                c
            }
            _ => return Ok(None),
        };
        if t.get(self.pos) != Some(&b'-') || matches!(t.get(self.pos + 1), None | Some(b']')) {
            self.pos = save;
            return Ok(None);
        }
        self.pos += 1;
        let end = if t.get(self.pos) == Some(&b'\\') {
            self.escaped_char()?
        } else {
            self.pos += 1;
            t[self.pos - 1]
        };
        if end < start {
            return Err(self.error("bad character range"));
        }
        Ok(Some((start, end)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &[u8]) -> Node {
        Node::Concat(s.iter().map(|&b| Node::Literal(b)).collect())
    }

    #[test]
    fn literals_escapes_and_braces() {
        assert_eq!(parse(b"ab").unwrap().root, lit(b"ab"));
        assert_eq!(parse(br"a\/\x41\v").unwrap().root, lit(b"a/Av"));
        assert_eq!(parse(b"a{b}").unwrap().root, lit(b"a{b}"));
        assert_eq!(
            parse(b"a{,}").unwrap().root,
            Node::Repeat {
                node: Box::new(Node::Literal(b'a')),
                min: 0,
                max: None,
                greedy: true
            }
        );
    }

    #[test]
    fn repeats_and_flags() {
        let p = parse(b"a{2, 5}?b").unwrap();
        assert!(p.lazy && !p.greedy);
        match p.root {
            Node::Concat(items) => assert_eq!(
                items[0],
                Node::Repeat {
                    node: Box::new(Node::Literal(b'a')),
                    min: 2,
                    max: Some(5),
                    greedy: false
                }
            ),
            other => panic!("{other:?}"),
        }
        assert!(parse(b"a{5,2}").is_err());
        assert!(parse(b"a{40000}").is_err());
        assert!(parse(b"a**").is_err());
        assert!(parse(b"^*").is_err());
        assert!(parse(br"(a)\1").is_err());
        assert!(parse(b"(?:a)").is_err());
        assert!(parse(b"(a").is_err());
        assert!(parse(b"a)").is_err());
        assert!(parse(b"|a").is_err());
        assert_eq!(
            parse(b"a|").unwrap().root,
            Node::Alt(vec![Node::Literal(b'a'), Node::Empty])
        );
    }

    #[test]
    fn classes() {
        let set = |text: &[u8]| match parse(text).unwrap().root {
            Node::Class(s) => s,
            Node::NegatedClass(s) => s.negated(),
            other => panic!("{other:?}"),
        };
        let s = set(b"[]a-c]");
        assert!(s.contains(b']') && s.contains(b'b') && !s.contains(b'd'));
        let s = set(br"[\x00-\x1f-]");
        assert!(s.contains(0x10) && s.contains(b'-') && !s.contains(b' '));
        let s = set(br"[^\d]");
        assert!(!s.contains(b'5') && s.contains(b'a'));
        let s = set(b"[a-]");
        assert!(s.contains(b'a') && s.contains(b'-'));
        assert!(parse(b"[ab").is_err());
        assert!(parse(b"[z-a]").is_err());
        assert!(parse("[é]".as_bytes()).is_err());
    }
}
