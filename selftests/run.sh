#!/bin/sh
# Runs the selftests in the guest (make check does this through vm.sh).
# Each binary prints kselftest TAP; the module_* tests reload the module,
# so they run last.
cd "$(dirname "$0")"
status=0
for t in socket_create bind_matrix bind_port0 listen_accept synack_wire \
	connect_basic connect_ports connect_wire data_transfer data_netem \
	data_close data_api module_scale module_stress \
	module_timewait module_tw_race module_lifetime; do
	echo "# selftest: $t"
	./bin/$t || status=1
done
exit $status
