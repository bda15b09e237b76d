#!/bin/sh
# Runs the selftests in the guest (make check does this through vm.sh).
# Each binary prints kselftest TAP; module_lifetime reloads the module, so
# it runs last.
cd "$(dirname "$0")"
status=0
for t in socket_create bind_matrix bind_port0 listen_accept synack_wire \
	connect_basic connect_ports connect_wire module_lifetime; do
	echo "# selftest: $t"
	./bin/$t || status=1
done
exit $status
