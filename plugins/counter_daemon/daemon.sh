#!/bin/sh
# An example exec daemon: keeps state between collections (a request counter).
n=0
while read -r _; do
  n=$((n + 1))
  echo "{\"name\":\"requests\",\"value\":$n,\"type\":\"counter\"}"
  echo "{\"name\":\"pid\",\"value\":$$}"
  echo
done
