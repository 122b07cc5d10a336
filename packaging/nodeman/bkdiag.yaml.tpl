# bkdiag daemon configuration, rendered by NodeMan from etc/bkdiag.yaml.tpl (project.yaml config_templates)
# with NodeMan's plugin paths and the variables under extra_vars. Flat `key: value` lines.
# The "#@" lines are not the daemon's: bin/bkdiag_ctl.sh reads NodeMan's run, log and data paths there.
#@ pid_path: {{ plugin_path.pid_path }}
#@ log_path: {{ plugin_path.log_path }}
#@ data_path: {{ plugin_path.data_path }}
{%- set v = extra_vars if extra_vars is defined and extra_vars else {} %}

# Seconds between two runs of the checks.
interval: {{ v.interval | default(60, true) | int }}

# The GSE installation NodeMan deployed this plugin into.
gse_path: {{ plugin_path.setup_path }}

# Subscription whose bkunifylogbeat configs are checked (0: only the gse_agent checks run).
subscription_id: {{ v.subscription_id | default(0, true) | int }}
{%- if v.log_paths is defined and v.log_paths %}

# Log paths to check, comma separated, globs allowed.
log_paths: {{ v.log_paths | tojson }}
{%- endif %}

# Where the daemon serves its latest report, and its history.
socket: {{ plugin_path.pid_path }}/bkdiag.sock
state_dir: {{ plugin_path.data_path }}/bkdiag
