package kubegate.wkl.host_namespaces_test

import rego.v1

import data.kubegate.wkl.host_namespaces as p

pod(spec) := {"kind": "Pod", "metadata": {"name": "p"}, "spec": spec}

paths(set) := {f.path | some f in set}

test_each_host_namespace if {
	obj := pod({"hostNetwork": true, "hostPID": true, "hostIPC": true, "containers": []})
	paths(p.errors(obj)) == {["spec", "hostNetwork"], ["spec", "hostPID"], ["spec", "hostIPC"]}
}

test_false_passes if {
	count(p.errors(pod({"hostNetwork": false, "containers": []}))) == 0
}

test_cronjob if {
	obj := {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {"hostPID": true}}}}}}
	paths(p.errors(obj)) == {["spec", "jobTemplate", "spec", "template", "spec", "hostPID"]}
}

test_host_port_warning if {
	obj := pod({"containers": [{"name": "a", "ports": [{"containerPort": 80}, {"containerPort": 443, "hostPort": 443}]}]})
	count(p.errors(obj)) == 0
	paths(p.warnings(obj)) == {["spec", "containers", 0, "ports", 1, "hostPort"]}
}

test_allowed_host_ports if {
	obj := pod({"containers": [{"name": "a", "ports": [{"containerPort": 443, "hostPort": 443}]}]})
	count(p.warnings(obj)) == 0 with data.params as {"WKL-002": {"allowed_host_ports": [443]}}
}

test_wiring if {
	d := p.deny with input.kind as "Pod" with input.spec as {"hostNetwork": true}
	paths(d) == {["spec", "hostNetwork"]}
	w := p.warn with input.kind as "Pod" with input.spec as {"containers": [{"name": "a", "ports": [{"hostPort": 1}]}]}
	paths(w) == {["spec", "containers", 0, "ports", 0, "hostPort"]}
}
