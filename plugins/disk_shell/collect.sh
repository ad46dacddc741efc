#!/bin/sh
# An example exec plugin: prints Prometheus text once per collection.
set -eu
df -Pk / | awk 'NR == 2 {
  print "# TYPE disk_free_bytes gauge"
  printf "disk_free_bytes{mount=\"/\"} %d\n", $4 * 1024
  printf "disk_used_ratio{mount=\"/\"} %f\n", $3 / ($3 + $4)
}'
