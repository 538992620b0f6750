//! What a Fluent pattern refers to: the variables (`{ $patient }`, including plural selectors)
//! and other messages or functions. Used to validate clinic overrides and, in the tests, to
//! prove every translation uses the same placeables as the English message.

use fluent_syntax::ast::{Expression, InlineExpression, Pattern, PatternElement};
use std::collections::BTreeSet;

/// Everything a pattern refers to, by kind.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct References {
    /// `$name` variables, without the `$`.
    pub variables: BTreeSet<String>,
    /// Other messages (`{ status-booked }`) and terms (`{ -brand }`, with the dash).
    pub messages: BTreeSet<String>,
    /// Functions such as `NUMBER(...)`.
    pub functions: BTreeSet<String>,
}

/// Collects the references of a pattern, descending into selectors and their variants.
pub fn references<S: AsRef<str>>(pattern: &Pattern<S>) -> References {
    let mut refs = References::default();
    walk_pattern(pattern, &mut refs);
    refs
}

/// The variables a pattern uses (shorthand for `references(p).variables`).
pub fn variables<S: AsRef<str>>(pattern: &Pattern<S>) -> BTreeSet<String> {
    references(pattern).variables
}

fn walk_pattern<S: AsRef<str>>(pattern: &Pattern<S>, refs: &mut References) {
    for element in &pattern.elements {
        if let PatternElement::Placeable { expression } = element {
            walk_expression(expression, refs);
        }
    }
}

fn walk_expression<S: AsRef<str>>(expression: &Expression<S>, refs: &mut References) {
    match expression {
        Expression::Inline(inline) => walk_inline(inline, refs),
        Expression::Select { selector, variants } => {
            walk_inline(selector, refs);
            for variant in variants {
                walk_pattern(&variant.value, refs);
            }
        }
    }
}

fn walk_inline<S: AsRef<str>>(inline: &InlineExpression<S>, refs: &mut References) {
    match inline {
        InlineExpression::VariableReference { id } => {
            refs.variables.insert(id.name.as_ref().to_owned());
        }
        InlineExpression::MessageReference { id, .. } => {
            refs.messages.insert(id.name.as_ref().to_owned());
        }
        InlineExpression::TermReference { id, arguments, .. } => {
            refs.messages.insert(format!("-{}", id.name.as_ref()));
            if let Some(args) = arguments {
                walk_arguments(args, refs);
            }
        }
        InlineExpression::FunctionReference { id, arguments } => {
            refs.functions.insert(id.name.as_ref().to_owned());
            walk_arguments(arguments, refs);
        }
        InlineExpression::Placeable { expression } => walk_expression(expression, refs),
        InlineExpression::StringLiteral { .. } | InlineExpression::NumberLiteral { .. } => {}
    }
}

fn walk_arguments<S: AsRef<str>>(args: &fluent_syntax::ast::CallArguments<S>, refs: &mut References) {
    for positional in &args.positional {
        walk_inline(positional, refs);
    }
    for named in &args.named {
        walk_inline(&named.value, refs);
    }
}
