# Sourced by scripts that start the CNCF Distribution registry (Debian's docker-registry) for
# comparison. The config Debian ships in /etc is broken, so each instance gets its own.
#
# distribution_config DATA_DIR PORT: prints a config with filesystem storage under DATA_DIR,
# deletes enabled, no access log, the in-memory blob descriptor cache, no upload purging, and a
# catalog page of up to 10,000 entries, listening on 127.0.0.1:PORT.
distribution_config() {
    cat <<YAML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $1
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$2
catalog:
  maxentries: 10000
YAML
}
