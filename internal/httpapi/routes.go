package httpapi

import (
	"net/http"
)

// route is one entry of the route table: a ServeMux pattern, whether it
// needs a principal, and its handler.
type route struct {
	pattern string
	authed  bool
	h       handlerFunc
}

// routes is the whole HTTP surface of the API, in one table so the REST
// surface can be reviewed on one screen. Each handler checks the role it
// needs on the object it touches.
func (s *Server) routes() []route {
	return []route{
		{"GET /healthz", false, s.healthz},
		{"GET /readyz", false, s.readyz},
		{"GET /api/openapi.yaml", false, s.openAPI},

		{"POST /api/v1/auth/login", false, s.login},
		{"POST /api/v1/auth/refresh", false, s.refresh},
		{"POST /api/v1/auth/logout", false, s.logout},

		{"GET /api/v1/users/me", true, s.me},
		{"PATCH /api/v1/users/me", true, s.updateMe},

		{"GET /api/v1/organizations", true, s.listOrgs},
		{"POST /api/v1/organizations", true, s.createOrg},
		{"GET /api/v1/organizations/{org_id}", true, s.getOrg},
		{"PATCH /api/v1/organizations/{org_id}", true, s.updateOrg},
		{"DELETE /api/v1/organizations/{org_id}", true, s.deleteOrg},
		{"POST /api/v1/organizations/{org_id}/transfer", true, s.transferOrg},
		{"GET /api/v1/organizations/{org_id}/members", true, s.listOrgMembers},
		{"POST /api/v1/organizations/{org_id}/members", true, s.addOrgMember},
		{"PATCH /api/v1/organizations/{org_id}/members/{user_id}", true, s.updateOrgMember},
		{"DELETE /api/v1/organizations/{org_id}/members/{user_id}", true, s.removeOrgMember},
		{"GET /api/v1/organizations/{org_id}/api-keys", true, s.listAPIKeys},
		{"POST /api/v1/organizations/{org_id}/api-keys", true, s.createAPIKey},
		{"DELETE /api/v1/organizations/{org_id}/api-keys/{key_id}", true, s.revokeAPIKey},
		{"GET /api/v1/audit", true, s.listAudit},

		{"GET /api/v1/projects", true, s.listProjects},
		{"POST /api/v1/projects", true, s.createProject},
		{"GET /api/v1/projects/{project_id}", true, s.getProject},
		{"PATCH /api/v1/projects/{project_id}", true, s.updateProject},
		{"DELETE /api/v1/projects/{project_id}", true, s.deleteProject},
		{"GET /api/v1/projects/{project_id}/members", true, s.listProjectMembers},
		{"POST /api/v1/projects/{project_id}/members", true, s.addProjectMember},
		{"PATCH /api/v1/projects/{project_id}/members/{user_id}", true, s.updateProjectMember},
		{"DELETE /api/v1/projects/{project_id}/members/{user_id}", true, s.removeProjectMember},
		{"GET /api/v1/projects/{project_id}/versions", true, s.listVersions},
		{"POST /api/v1/projects/{project_id}/versions", true, s.createVersion},
		{"GET /api/v1/projects/{project_id}/versions/{version_id}", true, s.getVersion},
		{"POST /api/v1/projects/{project_id}/versions/{version_id}/restore", true,
			s.restoreVersion},
		{"GET /api/v1/projects/{project_id}/changes", true, s.listChanges},

		{"GET /api/v1/prompts", true, s.listPrompts},
		{"POST /api/v1/prompts", true, s.createPrompt},
		{"GET /api/v1/prompts/{prompt_id}", true, s.getPrompt},
		{"PATCH /api/v1/prompts/{prompt_id}", true, s.updatePrompt},
		{"DELETE /api/v1/prompts/{prompt_id}", true, s.deletePrompt},

		{"GET /api/v1/jobs", true, s.listJobs},
		{"POST /api/v1/jobs", true, s.createJob},
		{"GET /api/v1/jobs/{job_id}", true, s.getJob},
		{"GET /api/v1/jobs/{job_id}/tasks", true, s.listJobTasks},
		{"GET /api/v1/jobs/{job_id}/events", true, s.listJobEvents},
		{"POST /api/v1/jobs/{job_id}/cancel", true, s.cancelJob},
		{"POST /api/v1/jobs/{job_id}/retry", true, s.retryJob},
		{"POST /api/v1/jobs/{job_id}/tasks/{task_id}/regenerate", true, s.regenerateTask},

		{"GET /api/v1/storyboards", true, s.listStoryboards},
		{"POST /api/v1/storyboards", true, s.createStoryboard},
		{"GET /api/v1/storyboards/{storyboard_id}", true, s.getStoryboard},
		{"PUT /api/v1/storyboards/{storyboard_id}", true, s.updateStoryboard},
		{"POST /api/v1/storyboards/{storyboard_id}/render", true, s.renderStoryboard},
		{"POST /api/v1/prompts/lint", true, s.lintPrompt},

		{"GET /api/v1/providers", true, s.listProviders},
		{"GET /api/v1/organizations/{org_id}/provider-accounts", true, s.listProviderAccounts},
		{"POST /api/v1/organizations/{org_id}/provider-accounts", true, s.createProviderAccount},
		{"DELETE /api/v1/organizations/{org_id}/provider-accounts/{account_id}", true,
			s.deleteProviderAccount},
		{"POST /api/v1/webhooks/{provider}", false, s.webhook},

		{"GET /api/v1/assets", true, s.listAssets},
		{"POST /api/v1/assets", true, s.uploadAsset},
		{"GET /api/v1/assets/{asset_id}", true, s.getAsset},
		{"DELETE /api/v1/assets/{asset_id}", true, s.deleteAsset},
		{"POST /api/v1/exports", true, s.createExport},

		{"GET /api/v1/templates", true, s.listTemplates},
		{"POST /api/v1/templates", true, s.createTemplate},
		{"GET /api/v1/templates/{template_id}", true, s.getTemplate},
		{"DELETE /api/v1/templates/{template_id}", true, s.deleteTemplate},
		{"POST /api/v1/templates/{template_id}/render", true, s.renderTemplate},
	}
}

// Handler returns the API with its middleware.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		if rt.authed {
			mux.Handle(rt.pattern, s.authed(rt.h))
		} else {
			mux.Handle(rt.pattern, s.handle(rt.h))
		}
	}
	mux.Handle("/api/", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return errNotFound("route")
	}))
	return s.common(mux)
}
