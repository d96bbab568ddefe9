//! A request body must be a JSON object. serde's derived structs also accept the array form
//! (`[null, null]` fills fields by position), which would let a malformed body pass as a
//! change of nothing; every JSON body is read through [`Object`] so only the object form is.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};

/// `T` read from a JSON object, never from an array.
#[derive(Debug)]
pub struct Object<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Only<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Only<T> {
            type Value = T;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map))
            }
        }
        deserializer.deserialize_map(Only(PhantomData)).map(Object)
    }
}

#[cfg(test)]
mod tests {
    use super::Object;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Patch {
        name: Option<String>,
        size: Option<u32>,
    }

    #[test]
    fn an_array_is_refused_where_an_object_is_expected() {
        let error = serde_json::from_str::<Object<Patch>>("[null, null]")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some("invalid type: sequence, expected a JSON object at line 1 column 0")
        );
    }

    #[test]
    fn an_object_reads_as_before() {
        let patch = serde_json::from_str::<Object<Patch>>(r#"{"name": "x"}"#).map(|o| o.0);
        assert_eq!(
            patch.ok(),
            Some(Patch {
                name: Some("x".to_owned()),
                size: None
            })
        );
        let unknown = serde_json::from_str::<Object<Patch>>(r#"{"other": 1}"#);
        assert!(unknown.is_err());
    }
}
