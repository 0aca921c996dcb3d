//! Command-line definitions (clap). These structs mirror the flags and do nothing else;
//! [`crate::inputs`] turns them into the pipeline's inputs.

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "skygen",
    version,
    about = "Render the SkyPilot API server deployment as plain Kubernetes YAML, offline",
    long_about = "skygen compiles Helm-style values for the SkyPilot API server chart into plain \
Kubernetes manifests, without Helm and without a cluster.\n\nExamples:\n  skygen render | kubectl apply -f -\n  skygen render -f values.yaml --set ingress.host=sky.example.com\n  skygen validate -f values.yaml"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render the manifests to stdout (like `helm template`), or to a directory with `-o`.
    #[command(visible_alias = "template")]
    Render(RenderArgs),
    /// Compare two renders object by object; exit 0 when equal, 1 when they differ.
    #[command(
        long_about = "Compare two renders object by object (matched by API group, kind, namespace \
and name). OLD and NEW are each a manifest file, a directory written by `skygen render -o`, or `-` \
(stdin). With --against DIR, render now from the input flags and compare with DIR (a CI check that \
committed output is current). Secret values are masked unless --show-secrets.\n\nExit codes: 0 no \
differences, 1 differences, 2 error, 3 a risk named by --fail-on (after printing).\n\nEach \
change is classified by what it will do (restart, downtime, immutable, data-loss, exposure, \
privilege, logout, config-not-applied); see docs/diff.md.\n\nExamples:\n  skygen render > old.yaml; skygen render -f \
new-values.yaml | skygen diff old.yaml -\n  skygen diff --against deploy/ -f values.yaml"
    )]
    Diff(DiffArgs),
    /// Check that several releases can share one cluster; exit 1 and a fix per collision.
    #[command(
        long_about = "Check that several releases can share one cluster. Each RENDER is one release: \
a manifest file, a directory written by `skygen render -o`, or `-` (stdin, once). Reports every \
collision: one object in two releases, cluster-scoped names (ClusterRoles, IngressClasses), two \
ingress controllers claiming one controller value, node ports, overlapping Ingress or HTTPRoute host \
and path, objects in skypilot-system.\n\nExit codes: 0 no collision, 1 collisions (each with a fix), 2 error.\n\n\
Example:\n  skygen render --release-name team-a -n team-a --set ingress.path=/team-a -o out/team-a\n  \
skygen render --release-name team-b -n team-b --set ingress-nginx.enabled=false --set \
ingress.path=/team-b -o out/team-b\n  skygen check out/team-a out/team-b"
    )]
    Check(CheckArgs),
    /// Check values and render without printing manifests; print every finding.
    Validate(ValidateArgs),
    /// Print the default values as a commented YAML file (like `helm show values`), or with
    /// --effective the merged values a render would use (like `helm get values --all`).
    Values(ValuesArgs),
    /// Print the JSON Schema of the values (for editors and CI).
    Schema,
    /// List the built-in overlays (for --overlay) with what each changes.
    Overlays,
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(
        long_about = "Print a completion script for SHELL to stdout.\n\nExamples:\n  \
skygen completion bash > ~/.local/share/bash-completion/completions/skygen\n  \
skygen completion zsh > \"${fpath[1]}/_skygen\"\n  \
skygen completion fish > ~/.config/fish/completions/skygen.fish"
    )]
    Completion {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to stdout: `skygen man > /usr/local/share/man/man1/skygen.1`.
    Man,
}

#[derive(Debug, Args)]
pub struct ValuesArgs {
    /// Print the merged values after overlays, files and --set flags (every key, defaults
    /// included) instead of the commented defaults.
    #[arg(long)]
    pub effective: bool,
    /// With --effective: end each value's line with a comment naming where it came from
    /// (file:line:column, the flag, the overlay, or <defaults>).
    #[arg(long, requires = "effective")]
    pub show_origin: bool,
    /// The render inputs, used with --effective only.
    #[command(flatten, next_help_heading = "Render inputs (with --effective)")]
    pub inputs: InputArgs,
}

/// Helm's `helm template NAME CHART` positionals, accepted only to explain that skygen takes
/// `--release-name` instead (clap would only say "unexpected argument"). See: #10.
#[derive(Debug, Args)]
pub struct HelmPositionals {
    #[arg(hide = true, value_name = "NAME")]
    pub positionals: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub inputs: InputArgs,
    #[command(flatten)]
    pub helm: HelmPositionals,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub inputs: InputArgs,
    #[command(flatten)]
    pub helm: HelmPositionals,
    /// Output format: a YAML stream, or one JSON `List` document.
    #[arg(long, value_enum, default_value_t = Format::Yaml)]
    pub format: Format,
    /// Write one file per object and a kustomization.yaml to DIR instead of stdout (atomic;
    /// removes the files of objects an earlier render wrote that are gone, never other files).
    #[arg(short = 'o', long = "output-dir", value_name = "DIR")]
    pub output_dir: Option<String>,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The old side: a manifest file (also `helm get manifest` output or a `kubectl get -o yaml`
    /// dump), a directory written by `render -o`, or `-` (stdin).
    #[arg(value_name = "OLD", required_unless_present = "against")]
    pub old: Option<String>,
    /// The new side: a manifest file, a directory written by `render -o`, or `-` (stdin).
    #[arg(value_name = "NEW", required_unless_present = "against")]
    pub new: Option<String>,
    /// Render now with the input flags below and compare with DIR (or a manifest file).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["old", "new"])]
    pub against: Option<String>,
    /// Lines of context around each change.
    #[arg(short = 'C', long, default_value_t = 3, value_name = "N")]
    pub context: usize,
    /// Print Secret `data` and `stringData` values instead of masking them.
    #[arg(long)]
    pub show_secrets: bool,
    /// Output format: a unified diff per object, JSON with the changed fields' paths and risks,
    /// or Markdown for a pull-request comment.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
    /// Exit 3 (after printing) when a risk of one of these classes is present: restart,
    /// downtime, immutable, data-loss, exposure, privilege, logout, config-not-applied, or any.
    #[arg(long, value_name = "CLASS[,CLASS…]", value_delimiter = ',')]
    pub fail_on: Vec<String>,
    /// Compare only the fields NEW sets, plus those OLD's last `kubectl apply` set: fields the
    /// server defaulted in a `kubectl get -o yaml` dump do not show as removed.
    #[arg(long)]
    pub ignore_defaults: bool,
    /// Color the text output: when stdout is a terminal (and NO_COLOR is unset), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// Render inputs, used with --against only.
    #[command(flatten, next_help_heading = "Render inputs (with --against)")]
    pub inputs: InputArgs,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The renders of the releases (two or more): manifest files, `render -o` directories, or `-`.
    #[arg(value_name = "RENDER", num_args = 2.., required = true)]
    pub renders: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Text,
    Json,
    Markdown,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Yaml,
    Json,
}

/// The inputs shared by every command that renders.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Release name (a DNS-1123 label of at most 53 characters), the prefix of object names.
    /// `render` and `validate` take it more than once to render several releases from the same
    /// values in one run.
    #[arg(long, default_value = crate::values::resolve::DEFAULT_RELEASE_NAME, value_name = "NAME")]
    pub release_name: Vec<String>,
    /// Namespace of the release's namespaced objects.
    #[arg(short = 'n', long, default_value = crate::values::resolve::DEFAULT_NAMESPACE, value_name = "NS")]
    pub namespace: String,
    /// Values file (repeatable; later files win; `-` reads stdin).
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<String>,
    /// Set values (`a.b=c,x[0]=y`); typed by the schema. Applied after files, in order.
    #[arg(long, value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Set string values, never converted.
    #[arg(long = "set-string", value_name = "KEY=VALUE")]
    pub set_string: Vec<String>,
    /// Set a value to the content of a file.
    #[arg(long = "set-file", value_name = "KEY=PATH")]
    pub set_file: Vec<String>,
    /// Set a value from JSON.
    #[arg(long = "set-json", value_name = "KEY=JSON")]
    pub set_json: Vec<String>,
    /// Apply an overlay: a built-in name (see `skygen overlays`) or a directory holding
    /// overlay.yaml. Repeatable or comma-separated; applied in the order given.
    #[arg(long = "overlay", value_name = "NAME|DIR", value_delimiter = ',')]
    pub overlay: Vec<String>,
    /// Also emit the release's Namespace (first in the output), as Helm's flag of the same name
    /// does; without it the namespace must exist before the output is applied.
    #[arg(long)]
    pub create_namespace: bool,
    /// Leave out the objects no prune may delete (Namespaces, PersistentVolumeClaims), for
    /// `kubectl apply --prune --applyset`; apply them first on their own (docs/lifecycle.md).
    #[arg(long, conflicts_with = "create_namespace")]
    pub skip_kept: bool,
    /// Emit only the objects of namespace NS (and, for the release's namespace, the
    /// cluster-scoped ones): what `kubectl apply -n NS --applyset=…` accepts.
    #[arg(long, value_name = "NS")]
    pub only_namespace: Option<String>,
    /// Kubernetes version of the target cluster (`major.minor`).
    #[arg(long, default_value = crate::values::resolve::DEFAULT_KUBE_VERSION, value_name = "VERSION")]
    pub kube_version: String,
    /// Accept an ingress-nginx controller image older than v1.11.5 (vulnerable to
    /// CVE-2025-1974, "IngressNightmare"). Only for air-gapped mirrors you have patched.
    #[arg(long)]
    pub allow_vulnerable_ingress_nginx: bool,
    /// SkyPilot release whose config schema checks apiService.config: 0.14.1, v0.14.1,
    /// 1.0.0.dev20261027 or latest. Default: the tag of apiService.image.
    #[arg(long, value_name = "VERSION")]
    pub skypilot_version: Option<String>,
}
