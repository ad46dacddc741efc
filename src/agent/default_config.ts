/**
 * The configuration used when none is given anywhere: host metrics,
 * the Prometheus endpoint and the admin API on their default ports.
 * @module
 */

/** The embedded default configuration, as TOML. */
export const DEFAULT_CONFIG_TOML = `# Sextant's embedded default: host and collector metrics.
config_version = 4

[custom_metrics]

[[custom_metrics.sources]]
name = "host"
type = "system"
interval = "15s"
`;

/** How the embedded default is named in messages. */
export const DEFAULT_CONFIG_NAME = "<embedded default>";
