//! Extract stage, shared: shell-style variables inside a reference (`${VAR}`, `$VAR`,
//! `${VAR:-default}`, `${VAR-default}`), as Dockerfiles and Compose files write them.

/// One variable expression.
pub struct Variable<'a> {
    pub name: &'a str,
    /// The `:-` / `-` default and its byte offset in the expression's text.
    pub default: Option<(&'a str, usize)>,
}

/// How a value containing `$` relates to the reference it names.
pub enum Shape<'a> {
    /// A literal name followed by a tag or digest holding variables (`golang:${GO}`): the
    /// name is the first `len` bytes.
    LiteralName { len: usize },
    /// A variable expression first, then nothing (`whole`) or a `:tag` / `@digest` without
    /// another `/` (`${IMAGE}:1.22`).
    LeadingVariable {
        variable: Variable<'a>,
        len: usize,
        whole: bool,
    },
    /// Variables in the registry or the middle of the name.
    Other,
}

/// Classifies `raw`, which contains a `$`.
pub fn shape(raw: &str) -> Shape<'_> {
    let Some(dollar) = raw.find('$') else {
        return Shape::Other;
    };
    let prefix = &raw[..dollar];
    let name_start = prefix.rfind('/').map_or(0, |i| i + 1);
    if let Some(sep) = prefix[name_start..].find([':', '@']) {
        if !raw[dollar..].contains('/') {
            return Shape::LiteralName {
                len: name_start + sep,
            };
        }
    }
    if dollar == 0 {
        if let Some((variable, len)) = parse(raw) {
            let after = &raw[len..];
            let whole = after.is_empty();
            if whole || (after.starts_with([':', '@']) && !after.contains('/')) {
                return Shape::LeadingVariable {
                    variable,
                    len,
                    whole,
                };
            }
        }
    }
    Shape::Other
}

/// Expands every variable in `raw` with `lookup`, falling back to inline defaults; `None`
/// when one has neither.
pub fn expand(raw: &str, lookup: impl Fn(&str) -> Option<String>) -> Option<String> {
    let mut out = String::new();
    let mut rest = raw;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let (variable, len) = parse(&rest[i..])?;
        let value = match lookup(variable.name) {
            Some(value) => value,
            None => variable.default?.0.to_owned(),
        };
        out.push_str(&value);
        rest = &rest[i + len..];
    }
    out.push_str(rest);
    Some(out)
}

/// The variable expression at the start of `text` and its length. Modifiers other than
/// `:-` and `-` are not resolved.
pub fn parse(text: &str) -> Option<(Variable<'_>, usize)> {
    let body = text.strip_prefix('$')?;
    let ident_len = |s: &str| {
        s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(s.len())
    };
    if let Some(braced) = body.strip_prefix('{') {
        let close = braced.find('}')?;
        let inner = &braced[..close];
        let name_len = ident_len(inner);
        let name = &inner[..name_len];
        let modifier = &inner[name_len..];
        let default = if let Some(d) = modifier.strip_prefix(":-") {
            Some((d, 2 + name_len + 2))
        } else if let Some(d) = modifier.strip_prefix('-') {
            Some((d, 2 + name_len + 1))
        } else if modifier.is_empty() {
            None
        } else {
            return None;
        };
        (!name.is_empty()).then_some((Variable { name, default }, close + 3))
    } else {
        let len = ident_len(body);
        (len > 0).then_some((
            Variable {
                name: &body[..len],
                default: None,
            },
            len + 1,
        ))
    }
}

/// Names of the variables read in `text`.
pub fn names_read(text: &str) -> impl Iterator<Item = &str> {
    text.match_indices('$').filter_map(move |(i, _)| {
        let body = &text[i + 1..];
        let body = body.strip_prefix('{').unwrap_or(body);
        let len = body
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(body.len());
        (len > 0).then(|| &body[..len])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert!(matches!(
            shape("golang:${V}-alpine"),
            Shape::LiteralName { len: 6 }
        ));
        assert!(matches!(shape("localhost:${PORT}/app"), Shape::Other));
        assert!(matches!(
            shape("${IMAGE}"),
            Shape::LeadingVariable { whole: true, .. }
        ));
        assert!(matches!(
            shape("${IMAGE}:1.2"),
            Shape::LeadingVariable { whole: false, .. }
        ));
        assert!(matches!(shape("${REGISTRY}/app"), Shape::Other));
    }

    #[test]
    fn defaults_and_expansion() {
        let (v, len) = parse("${IMAGE:-nginx:1.25}").unwrap();
        assert_eq!(
            (v.name, v.default, len),
            ("IMAGE", Some(("nginx:1.25", 9)), 20)
        );
        let (v, _) = parse("${IMAGE-nginx}").unwrap();
        assert_eq!(v.default, Some(("nginx", 8)));
        assert!(parse("${IMAGE:?required}").is_none());
        let none = |_: &str| None;
        assert_eq!(
            expand("${R:-docker.io}/nginx", none).as_deref(),
            Some("docker.io/nginx")
        );
        assert_eq!(expand("${R}/nginx", none), None);
        let names: Vec<&str> = names_read("echo $A ${B} $$ ${C:-x}").collect();
        assert_eq!(names, ["A", "B", "C"]);
    }
}
