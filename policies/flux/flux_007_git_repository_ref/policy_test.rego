package kubegate.flux.git_repository_ref_test

import rego.v1

import data.kubegate.flux.git_repository_ref as p

flux7_git(ns, spec) := {"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository", "metadata": {"name": "dev-team", "namespace": ns}, "spec": spec}

flux7_paths(set) := {f.path | some f in set}

flux7_url := "https://github.com/org/repo"

test_https_and_ssh_urls_pass if {
	count(p.errors(flux7_git("apps", {"url": flux7_url, "ref": {"tag": "v1"}}))) == 0
	count(p.errors(flux7_git("apps", {"url": "ssh://git@github.com/org/repo", "ref": {"tag": "v1"}}))) == 0
	count(p.errors(flux7_git("apps", {"url": "HTTPS://github.com/org/repo"}))) == 0
}

test_insecure_urls_are_errors if {
	every url in ["http://github.com/org/repo", "git://github.com/org/repo", "git@github.com:org/repo.git", "file:///tmp/repo", "", 42] {
		flux7_paths(p.errors(flux7_git("apps", {"url": url}))) == {["spec", "url"]}
	}
}

test_url_placeholder_and_absent if {
	count(p.errors(flux7_git("apps", {"url": "${FLEET_URL}"}))) == 0
	count(p.errors(flux7_git("apps", {}))) == 0
}

test_absent_ref_warns if {
	flux7_paths(p.warnings(flux7_git("apps", {"url": flux7_url}))) == {["spec"]}
	flux7_paths(p.warnings(flux7_git("apps", {"url": flux7_url, "ref": "main"}))) == {["spec", "ref"]}
}

test_branch_only_warns if {
	flux7_paths(p.warnings(flux7_git("apps", {"url": flux7_url, "ref": {"branch": "main"}}))) == {["spec", "ref", "branch"]}
	flux7_paths(p.warnings(flux7_git("apps", {"url": flux7_url, "ref": {}}))) == {["spec", "ref"]}
}

test_ref_name_heads_is_a_branch if {
	flux7_paths(p.warnings(flux7_git("apps", {"url": flux7_url, "ref": {"name": "refs/heads/main"}}))) == {["spec", "ref", "name"]}
	flux7_paths(p.warnings(flux7_git("apps", {"url": flux7_url, "ref": {"name": "refs/pull/1/head"}}))) == {["spec", "ref", "name"]}
	count(p.warnings(flux7_git("apps", {"url": flux7_url, "ref": {"name": "refs/tags/v1.0.0"}}))) == 0
}

test_name_takes_precedence_over_tag if {
	count(p.warnings(flux7_git("apps", {"url": flux7_url, "ref": {"name": "refs/heads/main", "tag": "v1"}}))) == 1
	count(p.warnings(flux7_git("apps", {"url": flux7_url, "ref": {"name": "refs/heads/main", "commit": "abc"}}))) == 0
}

test_pinned_refs_pass if {
	every ref in [{"tag": "v1.2.3"}, {"semver": ">=1.0.0"}, {"commit": "0123abc"}, {"branch": "main", "commit": "0123abc"}, {"branch": "main", "tag": "v1"}] {
		count(p.warnings(flux7_git("apps", {"url": flux7_url, "ref": ref}))) == 0
	}
}

test_malformed_ref_fields if {
	count(p.warnings(flux7_git("apps", {"url": flux7_url, "ref": {"name": 3, "tag": ""}}))) == 1
}

test_fleet_repository_in_platform_namespace_is_exempt if {
	count(p.warnings(flux7_git("flux-system", {"url": flux7_url, "ref": {"branch": "main"}}))) == 0
	params := {"FLUX-007": {"platform_namespaces": []}}
	count(p.warnings(flux7_git("flux-system", {"url": flux7_url, "ref": {"branch": "main"}}))) == 1 with data.params as params
}

test_platform_namespace_still_needs_secure_url if {
	count(p.errors(flux7_git("flux-system", {"url": "http://git.example.com/fleet"}))) == 1
}

test_allow_branch_sources if {
	params := {"FLUX-007": {"allow_branch_sources": ["apps/*"]}}
	count(p.warnings(flux7_git("apps", {"url": flux7_url, "ref": {"branch": "dev-team"}}))) == 0 with data.params as params
	count(p.warnings(flux7_git("apps-2", {"url": flux7_url, "ref": {"branch": "dev-team"}}))) == 1 with data.params as params
}

test_every_source_api_version if {
	every v in ["v1beta1", "v1beta2", "v1"] {
		obj := {"apiVersion": concat("/", ["source.toolkit.fluxcd.io", v]), "kind": "GitRepository", "metadata": {"namespace": "apps"}, "spec": {"url": "http://x/y"}}
		count(p.errors(obj)) == 1
		count(p.warnings(obj)) == 1
	}
}

test_wiring if {
	d := p.deny with input.apiVersion as "source.toolkit.fluxcd.io/v1"
		with input.kind as "GitRepository"
		with input.metadata as {"name": "x", "namespace": "apps"}
		with input.spec as {"url": "http://x/y", "ref": {"branch": "main"}}
	flux7_paths(d) == {["spec", "url"]}
	w := p.warn with input.apiVersion as "source.toolkit.fluxcd.io/v1"
		with input.kind as "GitRepository"
		with input.metadata as {"name": "x", "namespace": "apps"}
		with input.spec as {"url": "http://x/y", "ref": {"branch": "main"}}
	flux7_paths(w) == {["spec", "ref", "branch"]}
}
