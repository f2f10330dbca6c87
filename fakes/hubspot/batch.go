package hubspot

import (
	"maps"
	"net/http"
	"strconv"
	"strings"

	"github.com/peakready/peakready/fakes/ledger"
)

// batchOps are the routes under /crm/v3/objects/contacts/batch/.
var batchOps = map[string]func(*Server, http.ResponseWriter, *http.Request) *apiError{
	"read":    (*Server).serveBatchRead,
	"create":  (*Server).serveBatchCreate,
	"update":  (*Server).serveBatchUpdate,
	"upsert":  (*Server).serveBatchUpsert,
	"archive": (*Server).serveBatchArchive,
}

// batchRequest is the body of every batch route.
type batchRequest struct {
	Inputs     []objectInput `json:"inputs"`
	Properties []string      `json:"properties"`
	IDProperty string        `json:"idProperty"`
}

// batchResponse is a batch's answer: 200 (201 for create) when every input succeeded,
// 207 with errors when some did not.
type batchResponse struct {
	Status      string       `json:"status"`
	Results     []objectJSON `json:"results"`
	NumErrors   int          `json:"numErrors,omitempty"`
	Errors      []BatchError `json:"errors,omitempty"`
	StartedAt   string       `json:"startedAt"`
	CompletedAt string       `json:"completedAt"`
}

const msgCouldNotGet = "Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid."

// readBatch decodes a batch body and checks its size.
func (s *Server) readBatch(w http.ResponseWriter, r *http.Request, st *settings) (batchRequest, *apiError) {
	var in batchRequest
	body, e := readBody(w, r)
	if e != nil {
		return in, e
	}
	if e := decodeBody(body, &in); e != nil {
		return in, e
	}
	if n := len(in.Inputs); n > st.limits.BatchMax {
		e := validationError("Batch input limit exceeded: %d inputs were sent; a batch request takes at most %d", n, st.limits.BatchMax)
		e.context = map[string][]string{"inputs": {strconv.Itoa(n)}, "max": {strconv.Itoa(st.limits.BatchMax)}}
		return in, e
	}
	return in, nil
}

func (in objectInput) idValue() string {
	if in.ID == nil {
		return ""
	}
	return in.ID.s
}

// finish writes a batch response: okStatus without errors, 207 with.
func (s *Server) finish(w http.ResponseWriter, okStatus int, started string, results []objectJSON, errs []BatchError) {
	resp := batchResponse{Status: "COMPLETE", Results: results, StartedAt: started, CompletedAt: formatTime(s.now())}
	if resp.Results == nil {
		resp.Results = []objectJSON{}
	}
	status := okStatus
	if len(errs) > 0 {
		resp.NumErrors, resp.Errors, status = len(errs), errs, http.StatusMultiStatus
	}
	writeJSON(w, status, resp)
}

// duplicateIDs finds inputs naming the same contact: 400 "Duplicate IDs found in batch
// input: [...]. IDs must be unique" for the whole batch.
func duplicateIDs(keys []string, shown []string) *apiError {
	seen := map[string]bool{}
	var dups []string
	for i, k := range keys {
		if k == "" {
			continue
		}
		if seen[k] {
			dups = append(dups, shown[i])
		}
		seen[k] = true
	}
	if len(dups) == 0 {
		return nil
	}
	e := validationError("Duplicate IDs found in batch input: [%s]. IDs must be unique", strings.Join(dups, ", "))
	e.context = map[string][]string{"ids": dups}
	return e
}

// lookupKey is how a batch input's id is compared for duplicates.
func lookupKey(property, value string) string {
	if property == propEmail {
		return property + ":" + normalizeEmail(value)
	}
	return property + ":" + value
}

func (s *Server) serveBatchRead(w http.ResponseWriter, r *http.Request) *apiError {
	st := s.settings.Load()
	started := formatTime(s.now())
	in, e := s.readBatch(w, r, st)
	if e != nil {
		return e
	}
	archived, e := queryBool(r, "archived")
	if e != nil {
		return e
	}
	var results []objectJSON
	var missing []string
	seen := map[string]bool{}
	s.mu.RLock()
	prop, e := s.resolveIDProperty(in.IDProperty)
	if e != nil {
		s.mu.RUnlock()
		return e
	}
	for _, input := range in.Inputs {
		id := input.idValue()
		if seen[lookupKey(prop, id)] {
			continue
		}
		seen[lookupKey(prop, id)] = true
		if c := s.find(idLookup{property: prop, value: id}, archived); c != nil {
			results = append(results, render(c, in.Properties, false))
		} else {
			missing = append(missing, id)
		}
	}
	s.mu.RUnlock()
	var errs []BatchError
	if len(missing) > 0 {
		errs = append(errs, BatchError{Status: "error", Category: CategoryObjectNotFound, Message: msgCouldNotGet, Context: map[string][]string{"ids": missing}})
	}
	s.finish(w, http.StatusOK, started, results, errs)
	return nil
}

// serveBatchCreate creates every input or none: the first refused input fails the whole
// batch with its error (409 or 400), unless every input carries an objectWriteTraceId,
// which turns on multi-status: the valid inputs are created and the refused ones are
// listed in errors with their trace id, 207.
func (s *Server) serveBatchCreate(w http.ResponseWriter, r *http.Request) *apiError {
	st := s.settings.Load()
	started := formatTime(s.now())
	in, e := s.readBatch(w, r, st)
	if e != nil {
		return e
	}
	multi := len(in.Inputs) > 0
	for _, input := range in.Inputs {
		multi = multi && input.ObjectWriteTraceID != ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !multi {
		if e := s.precheckCreates(st, in.Inputs); e != nil {
			return e
		}
	}
	var results []objectJSON
	var errs []BatchError
	for _, input := range in.Inputs {
		c, e := s.createLocked(st, input.Properties)
		if e != nil {
			errs = append(errs, e.batchError(map[string][]string{"objectWriteTraceId": {input.ObjectWriteTraceID}}))
			continue
		}
		o := render(c, nil, true)
		o.ObjectWriteTraceID = input.ObjectWriteTraceID
		results = append(results, o)
	}
	s.finish(w, http.StatusCreated, started, results, errs)
	return nil
}

// precheckCreates validates a batch of creates as createLocked would, counting the
// emails and unique values of earlier inputs as taken. On the first refusal every input
// is recorded as a refused create attempt and the refusal is returned. The caller holds
// s.mu.
func (s *Server) precheckCreates(st *settings, inputs []objectInput) *apiError {
	uniques := s.sc.uniques()
	claimed := map[string]int{} // dedupe key → the input that takes it
	var failed *apiError
	failedAt := -1
	for i, input := range inputs {
		props, errs := s.applyValues(nil, input.Properties)
		if len(errs) > 0 {
			failed, failedAt = invalidProperties(s.portalID, errs), i
			break
		}
		if holder, taken := s.st.holder(props, 0, uniques); taken {
			s.conflicts.Add(1)
			failed, failedAt = conflict(st.limits.ConflictCategory, strconv.FormatInt(holder, 10)), i
			break
		}
		keys := claimKeys(props, uniques)
		for _, k := range keys {
			if prior, ok := claimed[k]; ok {
				failed, failedAt = validationError("Duplicate values found in batch input: inputs %d and %d both have %s. Values of email and of unique properties must be unique", prior, i, k), i
				failed.context = map[string][]string{"duplicate": {k}}
				break
			}
		}
		if failed != nil {
			break
		}
		for _, k := range keys {
			claimed[k] = i
		}
	}
	if failed == nil {
		return nil
	}
	for i, input := range inputs {
		reason := "BATCH_REJECTED"
		if i == failedAt {
			reason = failed.reason()
		}
		props, _ := s.applyValues(nil, input.Properties)
		s.recordLocked(st, ledger.Rejected, 0, attemptKeys(input.Properties, props), true, reason, nil)
	}
	return failed
}

// claimKeys are the dedupe keys a new contact takes.
func claimKeys(props map[string]string, uniques []string) []string {
	var keys []string
	if e := props[propEmail]; e != "" {
		keys = append(keys, lookupKey(propEmail, e))
	}
	for _, u := range uniques {
		if v := props[u]; v != "" {
			keys = append(keys, lookupKey(u, v))
		}
	}
	return keys
}

// serveBatchUpdate updates each input by id (or its idProperty); inputs that fail are
// listed in errors (missing contacts in one OBJECT_NOT_FOUND error), 207.
func (s *Server) serveBatchUpdate(w http.ResponseWriter, r *http.Request) *apiError {
	st := s.settings.Load()
	started := formatTime(s.now())
	in, e := s.readBatch(w, r, st)
	if e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	props, e := s.batchIDProperties(in, false)
	if e != nil {
		return e
	}
	var results []objectJSON
	var errs []BatchError
	var missing, missingTraces []string
	for i, input := range in.Inputs {
		old := s.find(idLookup{property: props[i], value: input.idValue()}, false)
		if old == nil {
			missing = append(missing, input.idValue())
			if input.ObjectWriteTraceID != "" {
				missingTraces = append(missingTraces, input.ObjectWriteTraceID)
			}
			continue
		}
		c, e := s.updateLocked(st, old, input.Properties)
		if e != nil {
			errs = append(errs, e.batchError(traceContext(input, "ids")))
			continue
		}
		results = append(results, render(c, nil, true))
	}
	if len(missing) > 0 {
		ctx := map[string][]string{"ids": missing}
		if len(missingTraces) > 0 {
			ctx["objectWriteTraceId"] = missingTraces
		}
		errs = append([]BatchError{{Status: "error", Category: CategoryObjectNotFound, Message: msgCouldNotGet, Context: ctx}}, errs...)
	}
	s.finish(w, http.StatusOK, started, results, errs)
	return nil
}

// batchIDProperties resolves the property each input is identified by (its own
// idProperty, or the request's; "" is hs_object_id) and refuses a batch in which two
// inputs name the same contact. An upsert also needs an id and an idProperty on every
// input, and one that can create contacts. The caller holds s.mu.
func (s *Server) batchIDProperties(in batchRequest, upsert bool) ([]string, *apiError) {
	props := make([]string, len(in.Inputs))
	keys, shown := make([]string, len(in.Inputs)), make([]string, len(in.Inputs))
	for i, input := range in.Inputs {
		name := input.IDProperty
		if name == "" {
			name = in.IDProperty
		}
		if upsert && (name == "" || input.idValue() == "") {
			e := validationError("Every upsert input needs an id and an idProperty (input %d has id %q, idProperty %q)", i, input.idValue(), name)
			e.context = map[string][]string{"index": {strconv.Itoa(i)}}
			return nil, e
		}
		p, e := s.resolveIDProperty(name)
		if e != nil {
			return nil, e
		}
		if upsert && p == "" {
			return nil, validationError("idProperty hs_object_id cannot create contacts; upsert by email or a unique property")
		}
		props[i], keys[i], shown[i] = p, lookupKey(p, input.idValue()), input.idValue()
	}
	if e := duplicateIDs(keys, shown); e != nil {
		return nil, e
	}
	return props, nil
}

// traceContext names an input in a batch error: its id, and its trace id if it has one.
func traceContext(input objectInput, idKey string) map[string][]string {
	ctx := map[string][]string{idKey: {input.idValue()}}
	if input.ObjectWriteTraceID != "" {
		ctx["objectWriteTraceId"] = []string{input.ObjectWriteTraceID}
	}
	return ctx
}

// serveBatchUpsert creates or updates each input by its idProperty (email, or a unique
// property): results carry "new"; refused inputs are listed in errors, 207. An input
// without id or idProperty, an idProperty that cannot identify a contact, or two inputs
// naming the same contact fail the whole batch with 400.
func (s *Server) serveBatchUpsert(w http.ResponseWriter, r *http.Request) *apiError {
	st := s.settings.Load()
	started := formatTime(s.now())
	in, e := s.readBatch(w, r, st)
	if e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	props, e := s.batchIDProperties(in, true)
	if e != nil {
		return e
	}
	var results []objectJSON
	var errs []BatchError
	for i, input := range in.Inputs {
		c, created, e := s.upsertLocked(st, props[i], input.idValue(), input.Properties)
		if e != nil {
			errs = append(errs, e.batchError(traceContext(input, "ids")))
			continue
		}
		o := render(c, nil, true)
		o.New = &created
		results = append(results, o)
	}
	s.finish(w, http.StatusOK, started, results, errs)
	return nil
}

// upsertLocked updates the contact whose idProperty is id, or creates one with it. The
// id property's value is the id: a different value for it among the properties is
// ignored. The caller holds s.mu.
func (s *Server) upsertLocked(st *settings, idProperty, id string, values map[string]scalar) (*contact, bool, *apiError) {
	vals := maps.Clone(values)
	if vals == nil {
		vals = map[string]scalar{}
	}
	if old := s.st.lookup(idProperty, id); old != nil {
		delete(vals, idProperty)
		c, e := s.updateLocked(st, old, vals)
		return c, false, e
	}
	vals[idProperty] = scalar{s: id}
	c, e := s.createLocked(st, vals)
	return c, e == nil, e
}

// serveBatchArchive archives each input by id: 204, whether or not they existed.
func (s *Server) serveBatchArchive(w http.ResponseWriter, r *http.Request) *apiError {
	st := s.settings.Load()
	in, e := s.readBatch(w, r, st)
	if e != nil {
		return e
	}
	s.mu.Lock()
	for _, input := range in.Inputs {
		if old := s.find(idLookup{value: input.idValue()}, false); old != nil {
			s.archiveLocked(st, old)
		}
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
	return nil
}
