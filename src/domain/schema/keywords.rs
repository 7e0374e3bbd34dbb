//! The keywords of a catalog schema, by what the walker does with them.
//! A keyword in none of these lists is an annotation the form does not
//! know: ignored, and reported as a warning.

/// Keywords that carry no structure and that the service knows: allowed
/// anywhere, used by forms or ignored without a warning (JSON Schema's
/// annotations and Airbyte's UI keywords).
pub(super) const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$id",
    "$comment",
    "$anchor",
    "title",
    "description",
    "default",
    "examples",
    "readOnly",
    "writeOnly",
    "deprecated",
    "order",
    "patternDescription",
    "airbyte_secret",
    "airbyte_hidden",
    "always_show",
    "group",
    "groups",
    "multiline",
    "pattern_descriptor",
    "display_type",
];

/// Structural keywords that a form cannot render: refused, with the
/// keyword and its pointer.
pub(super) const UNRENDERABLE: &[&str] = &[
    "allOf",
    "anyOf",
    "not",
    "if",
    "then",
    "else",
    "patternProperties",
    "dependentSchemas",
    "dependentRequired",
    "dependencies",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
    "prefixItems",
    "additionalItems",
    "contains",
    "minContains",
    "maxContains",
    "minProperties",
    "maxProperties",
    "$dynamicRef",
    "$dynamicAnchor",
    "$recursiveRef",
    "$recursiveAnchor",
    "contentEncoding",
    "contentMediaType",
    "contentSchema",
];

/// Validation keywords a form renders or the server enforces.
pub(super) const SUPPORTED: &[&str] = &[
    "type",
    "properties",
    "required",
    "additionalProperties",
    "enum",
    "const",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "items",
    "minItems",
    "maxItems",
    "uniqueItems",
    "oneOf",
    "$ref",
    "$defs",
    "definitions",
];

/// The types a form renders.
pub(super) const TYPES: &[&str] = &["object", "string", "integer", "number", "boolean", "array"];
