//! Configuration, continued: the commented starter `regmig.toml` that `regmig init` writes.

use std::path::Path;

use super::parse;
use crate::rules::RuleSet;

/// A commented `regmig.toml` for `regmig init`: the target from `preset` and `params` (every
/// parameter without a default must be given), or a commented-out target without a preset.
/// The text is validated before it is returned.
pub fn starter(
    preset: Option<&str>,
    params: &[(String, String)],
    rules: &RuleSet,
) -> Result<String, String> {
    let mut text = String::from(
        "# regmig configuration: https://github.com/regmig/regmig#configuration-regmigtoml\n\
         # Check with `regmig check`, preview with `regmig fix`, apply with `regmig fix --write`.\n\n",
    );
    match preset {
        Some(name) => {
            let found = rules.preset(name).ok_or_else(|| {
                let names: Vec<&str> = rules.presets.iter().map(|p| p.name.as_str()).collect();
                format!("unknown preset `{name}` (known: {})", names.join(", "))
            })?;
            if let Some((key, _)) = params.iter().find(|(k, _)| !found.params.contains_key(k)) {
                return Err(format!(
                    "preset `{name}` has no parameter `{key}` (it takes: {})",
                    found.params.keys().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
            text.push_str(&format!(
                "# Where Docker Hub images go: {}\n# Template: {}\n[target]\npreset = \"{name}\"\n",
                found.summary, found.template
            ));
            for (param, spec) in &found.params {
                let value = params.iter().find(|(k, _)| k == param).map(|(_, v)| v);
                match (value, &spec.default) {
                    (Some(value), _) => {
                        text.push_str(&format!("{param} = {value:?}  # {}\n", spec.help))
                    }
                    (None, Some(default)) => text.push_str(&format!(
                        "# {param} = {default:?}  # {} (default)\n",
                        spec.help
                    )),
                    (None, None) => {
                        return Err(format!(
                            "preset `{name}` needs --set {param}=VALUE ({})",
                            spec.help
                        ))
                    }
                }
            }
        }
        None => {
            if !params.is_empty() {
                return Err("--set needs --preset".to_owned());
            }
            text.push_str(
                "# Where Docker Hub images go. Use a template or a preset (`regmig init --preset NAME`);\n\
                 # placeholders: {path} nginx, bitnami/redis; {repo} library/nginx; {namespace}; {name}.\n\
                 # [target]\n# template = \"ghcr.io/your-org/{path}\"\n",
            );
        }
    }
    text.push_str(
        "\n# Specific images first; the first matching entry wins over [target].\n\
         # [[map]]\n# from = \"bitnami/*\"\n# to   = \"ghcr.io/your-org/bitnami/*\"\n\
         \n# Never reported.\n# [ignore]\n# images = [\"mysql\"]\n# paths  = [\"docs/**\"]\n\
         \n# error | warning | off\n# [rules]\n# docker-hub = \"error\"\n",
    );
    parse(&text, Path::new("regmig.toml"), rules).map_err(|e| e.message)?;
    Ok(text)
}
