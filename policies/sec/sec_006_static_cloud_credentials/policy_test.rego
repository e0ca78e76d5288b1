package kubegate.sec.static_cloud_credentials_test

import rego.v1

import data.kubegate.sec.static_cloud_credentials as p

pod(env) := {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "a", "env": env}]}}

paths(set) := {f.path | some f in set}

test_aws_keys_by_name if {
	obj := pod([{"name": "REGION", "value": "eu-west-1"}, {"name": "AWS_SECRET_ACCESS_KEY", "value": "x"}, {"name": "aws_access_key_id", "value": "y"}])
	paths(p.errors(obj)) == {["spec", "containers", 0, "env", 1, "value"], ["spec", "containers", 0, "env", 2, "value"]}
}

test_key_shaped_value_under_any_name if {
	count(p.errors(pod([{"name": "KEY", "value": "AKIAIOSFODNN7EXAMPLE"}]))) == 1
}

test_google_json_inline_but_not_a_path if {
	count(p.errors(pod([{"name": "GOOGLE_APPLICATION_CREDENTIALS", "value": "{\"private_key\": \"x\"}"}]))) == 1
	count(p.errors(pod([{"name": "GOOGLE_APPLICATION_CREDENTIALS", "value": "/var/run/key.json"}]))) == 0
}

test_references_and_placeholders_pass if {
	count(p.errors(pod([{"name": "AWS_SECRET_ACCESS_KEY", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]))) == 0
	count(p.errors(pod([{"name": "AWS_SECRET_ACCESS_KEY", "value": "${AWS_KEY}"}]))) == 0
	count(p.errors(pod([{"name": "AWS_SECRET_ACCESS_KEY", "value": ""}]))) == 0
}

test_configmap if {
	obj := {"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"AWS_SECRET_ACCESS_KEY": "x", "other": "y"}}
	paths(p.errors(obj)) == {["data", "AWS_SECRET_ACCESS_KEY"]}
}

test_wiring if {
	d := p.deny with input.kind as "Pod" with input.spec as {"containers": [{"name": "a", "env": [{"name": "AWS_SESSION_TOKEN", "value": "t"}]}]}
	paths(d) == {["spec", "containers", 0, "env", 0, "value"]}
}
