package kubegate.wkl.host_path_test

import rego.v1

import data.kubegate.wkl.host_path as p

pod(spec) := {"kind": "Pod", "metadata": {"name": "p"}, "spec": spec}

paths(set) := {f.path | some f in set}

vol(path) := pod({"volumes": [{"name": "h", "hostPath": {"path": path}}]})

test_host_path_volume if {
	obj := pod({"volumes": [{"name": "e", "emptyDir": {}}, {"name": "h", "hostPath": {"path": "/var/run/docker.sock"}}]})
	paths(p.errors(obj)) == {["spec", "volumes", 1, "hostPath"]}
}

test_cronjob_and_malformed_host_path if {
	obj := {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {"volumes": [
		{"name": "a", "hostPath": {}},
		{"name": "b", "hostPath": "bogus"},
	]}}}}}}
	paths(p.errors(obj)) == {
		["spec", "jobTemplate", "spec", "template", "spec", "volumes", 0, "hostPath"],
		["spec", "jobTemplate", "spec", "template", "spec", "volumes", 1, "hostPath"],
	}
}

test_persistent_volume if {
	paths(p.errors({"kind": "PersistentVolume", "spec": {"hostPath": {"path": "/data"}}})) == {["spec", "hostPath"]}
	count(p.errors({"kind": "PersistentVolume", "spec": {"nfs": {"path": "/data"}}})) == 0
}

test_allowed_prefix_matches_whole_segments if {
	params := {"WKL-003": {"allowed_host_paths": ["/var/log"]}}
	count(p.errors(vol("/var/log"))) == 0 with data.params as params
	count(p.errors(vol("/var/log/pods/"))) == 0 with data.params as params
	count(p.errors(vol("//var//log/pods"))) == 0 with data.params as params
	count(p.errors(vol("/var/logs"))) == 1 with data.params as params
	count(p.errors(vol("/var"))) == 1 with data.params as params
}

test_dot_dot_escapes_the_prefix if {
	params := {"WKL-003": {"allowed_host_paths": ["/var/log"]}}
	count(p.errors(vol("/var/log/../../etc"))) == 1 with data.params as params
}

test_root_prefix_allows_nothing if {
	params := {"WKL-003": {"allowed_host_paths": ["/"]}}
	count(p.errors(vol("/etc"))) == 1 with data.params as params
}

test_not_a_string_path if {
	params := {"WKL-003": {"allowed_host_paths": ["/var/log"]}}
	count(p.errors(vol(5))) == 1 with data.params as params
}

test_wiring if {
	d := p.deny with input.kind as "Pod" with input.spec as {"volumes": [{"name": "h", "hostPath": {"path": "/"}}]}
	paths(d) == {["spec", "volumes", 0, "hostPath"]}
}
