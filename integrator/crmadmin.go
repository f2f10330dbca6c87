package integrator

import (
	"net/http"
	"strconv"

	"github.com/peakready/peakready/integrator/adminapi"
	"github.com/peakready/peakready/integrator/crm"
)

// registerCRMAdmin adds the CRM flow's admin routes: the invalid-email list and the
// nightly batch (status, and a run on demand). Without a CRM they answer 404.
func (a *App) registerCRMAdmin(admin *http.ServeMux) {
	admin.HandleFunc("GET /admin/crm/invalid-emails", a.serveInvalidEmails)
	admin.HandleFunc("GET /admin/crm/ltv-batch", a.serveLTVBatch(false))
	admin.HandleFunc("POST /admin/crm/ltv-batch", a.serveLTVBatch(true))
}

func (a *App) serveInvalidEmails(w http.ResponseWriter, r *http.Request) {
	if a.crm == nil {
		writeError(w, http.StatusNotFound, "no CRM is configured (--crm)")
		return
	}
	list, err := a.crm.store.InvalidEmails(r.Context())
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "redis: "+err.Error())
		return
	}
	out := adminapi.InvalidEmailList{Count: len(list), InvalidEmails: make([]adminapi.InvalidEmail, len(list))}
	for i, e := range list {
		out.InvalidEmails[i] = adminapi.InvalidEmail{CustomerID: strconv.FormatInt(e.CustomerID, 10), Email: e.Email,
			Reason: e.Reason, UpdatedAt: e.UpdatedAt.UTC(), SeenAt: e.SeenAt.UTC()}
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *App) serveLTVBatch(run bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if a.crm == nil {
			writeError(w, http.StatusNotFound, "no CRM is configured (--crm)")
			return
		}
		if run {
			if _, err := a.crm.ltv.Request(r.Context()); err != nil {
				writeError(w, http.StatusServiceUnavailable, "redis: "+err.Error())
				return
			}
		}
		st, err := a.crm.ltv.Status(r.Context())
		if err != nil {
			writeError(w, http.StatusServiceUnavailable, "redis: "+err.Error())
			return
		}
		status := http.StatusOK
		if run {
			status = http.StatusAccepted
		}
		writeJSON(w, status, ltvBatchJSON(a.crm.kind, st))
	}
}

func ltvBatchJSON(kind string, st crm.LTVStatus) adminapi.LTVBatch {
	return adminapi.LTVBatch{CRM: kind, Run: st.Run, State: st.State, Written: st.Written, Skipped: st.Skipped,
		StartedAt: st.StartedAt, FinishedAt: st.FinishedAt, LastScheduled: st.LastScheduled, Requested: st.Requested,
		LastError: st.LastError, NextRunAt: st.NextRunAt.UTC()}
}
