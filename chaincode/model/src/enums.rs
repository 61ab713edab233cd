//! `string_enum!`: unit enums written as fixed lower-case words in JSON, keys and arguments.

/// Declares a unit enum with its wire words, serde (as those words), `as_str`, `Display`,
/// `ALL` and a `parse(field, text)` that names the field and the accepted words.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $word:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash,
                 serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
        $vis enum $name {
            $( $(#[$vmeta])* #[serde(rename = $word)] $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire word.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word,)+ }
            }

            /// Parses the wire word; the error names `field` and lists the accepted words.
            pub fn parse(field: &str, text: &str) -> Result<Self, $crate::error::ValidationError> {
                match text {
                    $($word => Ok($name::$variant),)+
                    _ => Err($crate::error::ValidationError::new(
                        field,
                        format!(
                            "unknown value {:?} (expected one of {})",
                            text.chars().take(32).collect::<String>(),
                            [$($word),+].join(", ")
                        ),
                    )),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::error::ValidationError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::parse(stringify!($name), s)
            }
        }
    };
}

pub(crate) use string_enum;
