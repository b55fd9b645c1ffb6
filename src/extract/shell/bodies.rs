//! Extract stage, shell: text handed to a command that reads a Dockerfile or YAML — a
//! heredoc (`docker build - <<EOF`, `cat <<EOF | kubectl apply -f -`, `cat > Dockerfile
//! <<'EOF'`), a here-string, or `echo`/`printf` strings piped in. Dockerfiles go through the
//! Dockerfile extractor, YAML through the `image:` line scan, offsets shifted back.

use super::commands::{split_command, Ctx};
use super::embed::OffsetMap;
use super::lex::{Command, RedirectKind, Word};
use crate::extract::{dockerfile, helm, Extraction, Occurrence};
use crate::source::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Consumer {
    Dockerfile,
    Yaml,
}

impl Consumer {
    /// `cat > Dockerfile`, `tee deploy.yaml`: what the written file is.
    pub(super) fn of_file_writer(command: &Command, name: &str, args: &[Word]) -> Option<Consumer> {
        let targets: Vec<&Word> = match name {
            "tee" => args.iter().filter(|w| !w.text.starts_with('-')).collect(),
            _ => command
                .redirects
                .iter()
                .filter(|(kind, _)| *kind == RedirectKind::Output)
                .map(|(_, w)| w)
                .collect(),
        };
        targets
            .into_iter()
            .find_map(|w| Consumer::of_path(w.literal()?))
    }

    fn of_path(path: &str) -> Option<Consumer> {
        let name = path.rsplit('/').next()?.to_ascii_lowercase();
        if name.starts_with("dockerfile")
            || name.starts_with("containerfile")
            || name.ends_with(".dockerfile")
        {
            Some(Consumer::Dockerfile)
        } else if name.ends_with(".yaml") || name.ends_with(".yml") {
            Some(Consumer::Yaml)
        } else {
            None
        }
    }

    fn extract(self, text: &str) -> Extraction {
        match self {
            Consumer::Dockerfile => dockerfile::extract(text),
            Consumer::Yaml => helm::template(text),
        }
    }
}

impl Ctx<'_> {
    /// Reads what command `index` consumes: its own heredoc and here-strings, and what the
    /// command piped into it writes.
    pub(super) fn feed(&mut self, index: usize, consumer: Consumer) {
        let command = &self.commands[index];
        if let Some(heredoc) = command.heredocs.first() {
            self.body(heredoc.body.clone(), consumer);
        }
        for word in &command.here_strings {
            self.string(word, consumer);
        }
        let Some(producer) = command.piped_from.and_then(|i| self.commands.get(i)) else {
            return;
        };
        if let Some(heredoc) = producer.heredocs.first() {
            self.body(heredoc.body.clone(), consumer);
        }
        for word in &producer.here_strings {
            self.string(word, consumer);
        }
        let (_, words) = split_command(&producer.words);
        if let Some((name, args)) = words.split_first() {
            if name.is("echo") || name.is("printf") {
                let strings = args.iter().skip_while(|w| {
                    w.literal()
                        .is_some_and(|t| t.len() > 1 && t.starts_with('-'))
                });
                for word in strings {
                    self.string(word, consumer);
                }
            }
        }
    }

    fn body(&mut self, range: std::ops::Range<usize>, consumer: Consumer) {
        let Some(text) = self.source.get(range.clone()) else {
            return;
        };
        for occurrence in consumer.extract(text).occurrences {
            self.out.occurrences.push(shifted(occurrence, range.start));
        }
    }

    /// A quoted string holding a Dockerfile or YAML; `\n` escapes (for `echo -e` and
    /// `printf`) become line breaks of the same length, so offsets stay put.
    fn string(&mut self, word: &Word, consumer: Consumer) {
        if word.literal_dollar && !word.quoted {
            return;
        }
        let text = word.text.replace("\\n", " \n");
        let map = OffsetMap::Table(word.offsets.clone());
        for occurrence in consumer.extract(&text).occurrences {
            let mapped = map.occurrence(occurrence, &text, self.source);
            self.out.occurrences.push(mapped);
        }
    }
}

fn shifted(mut occurrence: Occurrence, by: usize) -> Occurrence {
    for (_, span) in &mut occurrence.parts {
        *span = Span::new(span.start + by, span.end + by);
    }
    occurrence.statement += by;
    occurrence
}
