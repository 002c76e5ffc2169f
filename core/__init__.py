"""The shared kernel: records passed between packages, the exception tree, and the
located-YAML loader. It imports nothing of trialwatch's own, so every package may
import it (`import-linter` checks this; see pyproject.toml)."""
