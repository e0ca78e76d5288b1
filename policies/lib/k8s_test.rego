package lib.k8s_test

import rego.v1

import data.lib.k8s

pod(spec) := {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}

workload(kind, spec) := {"apiVersion": "apps/v1", "kind": kind, "spec": {"template": {"spec": spec}}}

cronjob(spec) := {
	"apiVersion": "batch/v1", "kind": "CronJob",
	"spec": {"jobTemplate": {"spec": {"template": {"spec": spec}}}},
}

three := {
	"containers": [{"name": "a"}],
	"initContainers": [{"name": "i"}],
	"ephemeralContainers": [{"name": "e"}],
}

paths(obj) := {x.path | some x in k8s.containers(obj)}

test_pod_paths_cover_all_container_kinds if {
	paths(pod(three)) == {
		["spec", "containers", 0],
		["spec", "initContainers", 0],
		["spec", "ephemeralContainers", 0],
	}
}

test_template_kinds if {
	every kind in ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"] {
		paths(workload(kind, three)) == {
			["spec", "template", "spec", "containers", 0],
			["spec", "template", "spec", "initContainers", 0],
			["spec", "template", "spec", "ephemeralContainers", 0],
		}
	}
}

test_cronjob_uses_job_template if {
	paths(cronjob({"containers": [{"name": "a"}, {"name": "b"}]})) == {
		["spec", "jobTemplate", "spec", "template", "spec", "containers", 0],
		["spec", "jobTemplate", "spec", "template", "spec", "containers", 1],
	}
}

test_cronjob_template_path if {
	k8s.pod_template_path(cronjob({})) == ["spec", "jobTemplate", "spec", "template"]
}

test_pod_has_no_template_path if {
	not k8s.pod_template_path(pod({}))
}

test_other_kinds_have_no_containers if {
	count(k8s.containers({"kind": "Service", "spec": {"containers": [{"name": "x"}]}})) == 0
}

test_malformed_specs_are_skipped if {
	count(k8s.containers(pod({"containers": "nope"}))) == 0
	count(k8s.containers(pod({"containers": ["str", 3]}))) == 0
	count(k8s.containers({"kind": "Deployment", "spec": {"template": "x"}})) == 0
	count(k8s.containers({"kind": "Pod"})) == 0
}

test_container_record_carries_pod if {
	some x in k8s.containers(pod({"hostNetwork": true, "containers": [{"name": "a"}]}))
	x.pod.hostNetwork == true
	x.pod_path == ["spec"]
	x.field == "containers"
}

test_false_is_not_absent if {
	k8s.is_false({"f": false}, "f")
	not k8s.is_false({}, "f")
	not k8s.has_true({"f": false}, "f")
	k8s.has_true({"f": true}, "f")
}

test_param_defaults if {
	k8s.param("X-001", "k", 7) == 7
	k8s.param("X-001", "k", 7) == 8 with data.params as {"X-001": {"k": 8}}
	k8s.param("X-001", "other", 7) == 7 with data.params as {"X-001": {"k": 8}}
}

test_name_namespace if {
	k8s.name({"metadata": {"name": "a"}}) == "a"
	k8s.name({}) == ""
	k8s.namespace({"metadata": {"namespace": 3}}) == ""
}

test_resources_default_and_given if {
	k8s.resources == []
	k8s.resources == [{"kind": "Pod"}] with data.kubegate.resources as [{"kind": "Pod"}]
	k8s.resources == [] with data.kubegate.resources as "junk"
}

test_text_and_container_name if {
	k8s.text("a") == "a"
	k8s.text(3) == ""
	k8s.container_name({"name": 7}) == ""
	k8s.container_name({"name": "web"}) == "web"
	k8s.container_name({}) == ""
}

named_fixture := [
	{"kind": "ClusterRole", "metadata": {"name": "a"}},
	{"kind": "Role", "metadata": {"name": "a"}},
	{"kind": "ClusterRole", "metadata": {"name": "b"}},
]

# The index path (what kubegate gives) and the scan (conftest, no index) find the same resources.
test_resources_named_by_index_and_by_scan if {
	res := named_fixture
	index := {"ClusterRole/a": [0], "Role/a": [1], "ClusterRole/b": [2]}
	k8s.resources_named("ClusterRole", "a") == [res[0]] with data.kubegate.resources as res
		with data.kubegate.resource_index as index
	k8s.resources_named("ClusterRole", "a") == [res[0]] with data.kubegate.resources as res
	k8s.resources_named("Role", "b") == [] with data.kubegate.resources as res
		with data.kubegate.resource_index as index
	k8s.resources_named("Role", "b") == [] with data.kubegate.resources as res
}

test_resources_named_tolerates_non_strings if {
	res := named_fixture
	k8s.resources_named(5, null) == [] with data.kubegate.resources as res
		with data.kubegate.resource_index as {}
}
