//! The values a module computes for one input: a tree of structures, arrays and dictionaries
//! whose leaves are integers, floats and texts. A member the input does not define is simply
//! absent, and reads as YARA's *undefined*.

/// A module value.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Object {
    /// Not defined for this input.
    #[default]
    Undefined,
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A byte string.
    Text(Vec<u8>),
    /// Named members (only the defined ones).
    Struct(Vec<(&'static str, Object)>),
    /// Items indexed from 0.
    Array(Vec<Object>),
    /// Items indexed by text.
    Dict(Vec<(Vec<u8>, Object)>),
}

static UNDEFINED: Object = Object::Undefined;

impl Object {
    /// An empty structure, to be filled with [`Object::set`].
    pub fn structure() -> Self {
        Object::Struct(Vec::new())
    }

    /// Sets member `name` of a structure (replacing an earlier value).
    pub fn set(&mut self, name: &'static str, value: impl Into<Object>) {
        if let Object::Struct(members) = self {
            let value = value.into();
            match members.iter_mut().find(|(n, _)| *n == name) {
                Some(slot) => slot.1 = value,
                None => members.push((name, value)),
            }
        }
    }

    /// Member `name` of a structure (undefined when absent or not a structure).
    pub fn member(&self, name: &str) -> &Object {
        match self {
            Object::Struct(members) => members
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(&UNDEFINED, |(_, v)| v),
            _ => &UNDEFINED,
        }
    }

    /// Item `index` of an array (undefined when out of range).
    pub fn item(&self, index: i64) -> &Object {
        match self {
            Object::Array(items) => usize::try_from(index)
                .ok()
                .and_then(|i| items.get(i))
                .unwrap_or(&UNDEFINED),
            _ => &UNDEFINED,
        }
    }

    /// Item `key` of a dictionary.
    pub fn entry(&self, key: &[u8]) -> &Object {
        match self {
            Object::Dict(items) => items
                .iter()
                .find(|(k, _)| k == key)
                .map_or(&UNDEFINED, |(_, v)| v),
            _ => &UNDEFINED,
        }
    }

    /// The integer, if this is one.
    pub fn int(&self) -> Option<i64> {
        match self {
            Object::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The text, if this is one.
    pub fn text(&self) -> Option<&[u8]> {
        match self {
            Object::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The number of items of an array or dictionary (0 for anything else).
    pub fn len(&self) -> usize {
        match self {
            Object::Array(items) => items.len(),
            Object::Dict(items) => items.len(),
            _ => 0,
        }
    }

    /// The key and value of a dictionary's item at `position`.
    pub fn entry_at(&self, position: i64) -> Option<(&[u8], &Object)> {
        match self {
            Object::Dict(items) => usize::try_from(position)
                .ok()
                .and_then(|i| items.get(i))
                .map(|(k, v)| (k.as_slice(), v)),
            _ => None,
        }
    }

    /// Whether an array or dictionary has no items.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl From<i64> for Object {
    fn from(v: i64) -> Self {
        Object::Int(v)
    }
}

impl From<u64> for Object {
    fn from(v: u64) -> Self {
        Object::Int(v as i64)
    }
}

impl From<u32> for Object {
    fn from(v: u32) -> Self {
        Object::Int(v as i64)
    }
}

impl From<u16> for Object {
    fn from(v: u16) -> Self {
        Object::Int(v as i64)
    }
}

impl From<u8> for Object {
    fn from(v: u8) -> Self {
        Object::Int(v as i64)
    }
}

impl From<f64> for Object {
    fn from(v: f64) -> Self {
        Object::Float(v)
    }
}

impl From<Vec<u8>> for Object {
    fn from(v: Vec<u8>) -> Self {
        Object::Text(v)
    }
}

impl From<&str> for Object {
    fn from(v: &str) -> Self {
        Object::Text(v.as_bytes().to_vec())
    }
}

impl From<Option<Object>> for Object {
    fn from(v: Option<Object>) -> Self {
        v.unwrap_or_default()
    }
}
