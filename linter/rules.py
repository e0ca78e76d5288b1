"""The explicit registry of kubegate's built-in (non-Rego) rules.

Rego policies register their rules from OPA `# METADATA` annotations at run time (see linter.rego);
everything here is a check written in Python. An unknown rule id is a loud error wherever one is named.
Each family keeps its own block; ids are stable once shipped.
"""

from __future__ import annotations

from linter.models import RuleInfo, Severity

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO


def _r(id: str, name: str, sev: Severity, title: str, description: str, remediation: str, source: str) -> RuleInfo:
    return RuleInfo(id, name, sev, title, description, remediation, source)


# --- parse: loading files into documents -------------------------------------------------------
PARSE_RULES = [
    _r("YAML-001", "yaml-syntax", E, "YAML or JSON syntax error",
       "The file is not valid YAML 1.2 / JSON, so nothing in it was checked.",
       "Fix the syntax at the reported line; `kubectl apply --dry-run=client -f FILE` shows the same error.", "parse"),
    _r("YAML-002", "duplicate-key", E, "Duplicate mapping key",
       "A mapping repeats a key. Kubernetes strict decoding rejects it; lenient decoding silently keeps the last.",
       "Remove one of the two keys.", "parse"),
    _r("YAML-003", "input-limit", E, "Input exceeds a safety limit",
       "The file exceeds a limit (size, nesting depth, nodes per document, aliases, expanded size, document count) "
       "that protects "
       "the gate from alias bombs and pathological inputs. It was not checked.",
       "Split or simplify the file, or raise the limit in configuration (`limits`).", "parse"),
    _r("YAML-004", "template", E, "Unrendered template",
       "The file contains template syntax such as Helm's `{{ }}`; it is not a manifest until rendered.",
       "Render it first (`helm template ...`) and check the output, or exclude the templates directory.", "parse"),
    _r("YAML-005", "encoding", E, "Unreadable file",
       "The file is binary, not UTF-8, or could not be read: a FIFO or device, or a symbolic link that points "
       "outside the checked repository or at nothing (never followed, whether named or found by a walk).",
       "Save the file as UTF-8 text, or exclude it.", "parse"),
    _r("YAML-006", "ambiguous-boolean", W, "Scalar read differently by YAML 1.1 and 1.2",
       "A plain scalar such as `yes`, `on`, `y` or `off` is a string in YAML 1.2 but a boolean to the "
       "Kubernetes API server (YAML 1.1 rules). kubegate checks what the API server will see.",
       "Quote the value if you mean a string, or write `true` / `false`.", "parse"),
    _r("YAML-007", "ambiguous-octal", W, "Number read as octal by Kubernetes",
       "A plain scalar with a leading zero such as `0755` is octal to the API server (493) but decimal "
       "to YAML 1.2 tools (755).",
       "Write `0o755` or the decimal value (`493`), or quote it if you mean a string.", "parse"),
    _r("YAML-008", "invalid-document", E, "Document is not a Kubernetes object",
       "A document looks like a Kubernetes resource but is malformed (not a mapping, `kind` or "
       "`apiVersion` missing or not a string, `kind: List` without a list of items).",
       "Give every resource a string `apiVersion` and `kind` at the top level.", "parse"),
    _r("YAML-009", "invalid-escape", E, "Escape that is not a character",
       "A double-quoted YAML string or a JSON string holds a `\\uD800`..`\\uDFFF` escape that is not part "
       "of a surrogate pair. That is not a Unicode character: Kubernetes' YAML decoder rejects the file and no "
       "JSON encoder accepts the string. The rest of the document is checked with U+FFFD in its place.",
       "Write the character itself (the file is UTF-8), or a complete surrogate pair, or a `\\U0001F600`-style "
       "escape.", "parse"),
]

# --- schema: JSON-schema validation -------------------------------------------------------------
SCHEMA_RULES = [
    _r("SCHEMA-001", "schema-violation", E, "Resource does not match its schema",
       "The resource fails JSON-schema validation against the Kubernetes (or CRD-derived) schema for its "
       "apiVersion and kind, as `kubectl apply --validate=strict` would.",
       "Fix the field at the reported position; the message names what the schema expects.", "schema"),
    _r("SCHEMA-002", "missing-schema", W, "No schema for this kind",
       "No schema was found for the resource's apiVersion and kind, so it was not validated.",
       "Add the CRD to the repository or pass it with `--crds`, or add a `--schema-location`.", "schema"),
    _r("SCHEMA-004", "removed-api-version", W, "API version no longer served",
       "A resource of a built-in CRD (Flux or the ecosystem catalog) uses an API version that the release "
       "kubegate's built-in schemas come from no longer serves (for example helm.toolkit.fluxcd.io/v2beta1, "
       "or external-secrets.io/v1beta1): a cluster on that release rejects it. "
       "A CRD in the checked tree that still serves the version wins over the built-in catalog.",
       "Move the resource to the apiVersion the message names (`flux migrate` rewrites manifests).", "schema"),
    _r("SCHEMA-003", "crd-invalid", W, "CustomResourceDefinition could not be converted",
       "A CustomResourceDefinition has a version without a usable openAPIV3Schema, so its custom "
       "resources cannot be validated.",
       "Give each served version a `schema.openAPIV3Schema`.", "schema"),
]

# --- change: the PR gate (kubegate ci) ------------------------------------------------------------
CHANGE_RULES = [
    _r("CHG-001", "unauthorized-change", E, "Change outside the actor's authority",
       "The change author (for example the CI bot) changed something it is not allowed to change.",
       "Have a human author or approve this part of the change, or widen `authority` in the base "
       "branch's configuration.", "change"),
    _r("CHG-002", "judge-changed", W, "The change modifies kubegate's policies or configuration",
       "Policies, configuration, exceptions or baselines changed. They were judged by the base branch's "
       "versions; the new versions take effect only after merge and need human review.",
       "Ask a platform owner to review the policy or configuration change.", "change"),
    _r("CHG-003", "suppression-added", W, "The change adds a suppression",
       "An inline ignore comment, ignore annotation or exception was added by this change.",
       "Have the suppression reviewed; prefer fixing the finding.", "change"),
    _r("CHG-004", "exception-expired", E, "Expired exception",
       "An exception in the exceptions file is past its expiry date.",
       "Fix the underlying finding, or renew the exception with a new date after review.", "change"),
    _r("CHG-005", "invalid-suppression", E, "Suppression without a reason or with an unknown rule",
       "An inline ignore comment or annotation names no reason, a rule id that does not exist, or a CHG rule "
       "(a change may not silence the gate's verdict on itself; CHG rules are excepted only in the trusted "
       "exceptions file). It suppresses nothing.",
       "Write `# kubegate: ignore[RULE-ID] reason` with an existing rule id and a reason.", "change"),
]

# --- flux: the Flux graph and rendering ------------------------------------------------------------
FLUX_GRAPH_RULES = [
    _r("GRAPH-001", "path-not-found", E, "Kustomization path does not exist",
       "A Flux Kustomization's `spec.path` does not exist in this repository.",
       "Fix `spec.path` (it is relative to the root of the source).", "flux"),
    _r("GRAPH-002", "source-not-found", E, "Source reference resolves to nothing",
       "A `sourceRef`, `chart.spec.sourceRef` or `chartRef` names no object of that kind, name and namespace.",
       "Fix the reference or add the source.", "flux"),
    _r("GRAPH-003", "dependency-not-found", E, "dependsOn names a missing object",
       "A `dependsOn` entry names no Kustomization/HelmRelease of that name and namespace.",
       "Fix the name or namespace, or add the dependency.", "flux"),
    _r("GRAPH-004", "dependency-cycle", E, "dependsOn cycle",
       "Kustomizations or HelmReleases depend on each other in a cycle; Flux never reconciles them.",
       "Break the cycle.", "flux"),
    _r("GRAPH-005", "undefined-variable", E, "Undefined postBuild variable",
       "A `${VAR}` is used in a rendered manifest but defined neither in `postBuild.substitute` nor in a "
       "`substituteFrom` object found in the repository; Flux would apply the literal text.",
       "Define the variable, give it a default (`${VAR:=default}`), or escape it as `$${VAR}`.", "flux"),
    _r("GRAPH-006", "reference-not-in-repo", W, "Referenced ConfigMap/Secret not in the repository",
       "A `valuesFrom` or `substituteFrom` object is not in the repository; it may be created in-cluster.",
       "Add it to the repository, or mark it `optional: true` if it may be absent.", "flux"),
    _r("GRAPH-007", "assumed-self-source", I, "Undefined GitRepository taken as this repository",
       "A sourceRef names a GitRepository that the tree does not define. `flux bootstrap` and the Flux "
       "Operator create the repository's own GitRepository in the cluster, so with `flux.self_sources: auto` "
       "(the default) kubegate takes it to be this repository and renders what it applies. Reported once "
       "per GitRepository.",
       "Nothing to do if it is this repository. If it is another one, set `flux.self_sources` to the list "
       "of this repository's GitRepositories (`name` or `namespace/name`); the others are then GRAPH-002.",
       "flux"),
    _r("GRAPH-008", "unreconciled", I, "Files no Flux Kustomization applies",
       "The tree has Flux entry points (Kustomizations no other one applies, outside hidden directories), "
       "and these files are reached by none of them: Flux never applies them (an archive, examples, CI "
       "configuration), so they are not checked as live manifests. One finding with the count; "
       "`--show-unreconciled` gives one per file.",
       "Nothing to do if they are not meant to be applied. Pass a file explicitly to check it anyway, or "
       "add its directory to a Kustomization if Flux should apply it.", "flux"),
    _r("RENDER-001", "render-failed", E, "Kustomization could not be rendered",
       "kustomize failed on the Kustomization's path (or the path uses kustomize helmCharts, which "
       "kustomize-controller never inflates, so Flux fails the build), or no renderer is installed, so what "
       "Flux would apply was not checked.",
       "Run `kubectl kustomize PATH` to see the error; install kubectl or kustomize to render.", "flux"),
    _r("RENDER-002", "not-rendered", I, "Kustomization or HelmRelease not rendered",
       "The source is not readable here: a Kustomization whose source is another repository or that uses "
       "remote bases, a HelmRelease whose chart is in another Git repository or a "
       "Bucket. What it applies was not checked.",
       "Nothing to do, or check that repository separately.", "flux"),
    _r("RENDER-003", "chart-not-cached", W, "HelmRelease chart not in the chart cache (offline)",
       "The run is offline (the default for `check` and the pre-commit hook) and the HelmRelease's chart is "
       "neither in the repository nor in the chart cache, so the objects it installs were not checked; "
       "only its values were. A warning, not an error, so that a first offline run is not red for a "
       "cache it has never filled; `kubegate ci` is online and fails closed instead (RENDER-004).",
       "Run `kubegate charts pull .` where the network is allowed (or pass --online), or point "
       "--chart-cache at a filled cache. `severity: {RENDER-003: error}` makes offline runs strict.", "flux"),
    _r("RENDER-004", "chart-fetch-failed", E, "HelmRelease chart could not be fetched",
       "Online, the chart could not be had: the repository is unreachable, answers with an error, has no "
       "version matching `spec.chart.spec.version`, or serves an archive whose digest does not match its "
       "index. What the release installs was not checked, so the gate fails closed.",
       "Check the HelmRepository/OCIRepository URL and the version constraint; for a private repository "
       "put credentials in the Docker or Helm registry configuration.", "flux"),
    _r("RENDER-005", "chart-render-failed", E, "Helm could not render the HelmRelease",
       "Helm failed on the chart with these values (a template error, a `required` value left unset, a "
       "values schema violation, a valuesFiles entry the chart lacks, output that is not YAML). "
       "helm-controller would fail the same install or upgrade.",
       "Fix the values named in the message; reproduce with `helm template NAME CHART -f values.yaml`.", "flux"),
    _r("RENDER-006", "chart-render-limit", E, "Rendering the HelmRelease overran a limit",
       "The chart's templates ran past `helm.timeout_seconds` (default 30 s), rendered more than "
       "`helm.max_output_mb` (64 MB), or exhausted `helm.memory_mb` (2048 MB): a template loop or a "
       "runaway output. The engine was stopped; every other release was still rendered.",
       "Fix the chart or values; raise the limit in the `helm` configuration section if the output is "
       "legitimately that large.", "flux"),
    _r("RENDER-007", "helm-not-installed", W, "HelmReleases not rendered: no Helm engine",
       "kubegate's Helm engine (helm-python-sdk, an optional extra) is not installed, so no HelmRelease was "
       "rendered; reported once, with the count.",
       "pip install 'kubegate[helm]'", "flux"),
]

# --- engine: a check that could not give an answer ----------------------------------------------
ENGINE_RULES = [
    _r("ENGINE-001", "engine-failure", E, "A check could not be evaluated on this document",
       "The policy engine failed while evaluating a rule on this document (an internal error, not a "
       "finding about the manifest). Every other rule and document was still checked; the run fails "
       "closed with exit code 3, because this document was not fully judged.",
       "Report it with the document (secrets removed) at the kubegate issue tracker. To unblock, fix or "
       "remove the user policy named in the message; a bundled rule's failure is kubegate's bug.", "engine"),
]

# Findings that mean "could not check": never selected away, lowered, exempted or suppressed, and
# they end the run in exit code 3 (linter.cli.exit_code).
FAIL_CLOSED = frozenset(r.id for r in ENGINE_RULES)

BUILTIN_RULES: dict[str, RuleInfo] = {
    r.id: r for r in (*PARSE_RULES, *SCHEMA_RULES, *CHANGE_RULES, *FLUX_GRAPH_RULES, *ENGINE_RULES)
}
