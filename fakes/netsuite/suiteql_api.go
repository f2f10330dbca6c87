package netsuite

import "net/http"

// suiteqlPath is the SuiteQL resource.
const suiteqlPath = "/services/rest/query/v1/suiteql"

func (s *Server) serveSuiteQL(w http.ResponseWriter, r *http.Request) *apiError {
	return unknownPath(r.URL.Path)
}
