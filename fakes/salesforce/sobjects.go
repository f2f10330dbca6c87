package salesforce

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/peakready/peakready/fakes/ledger"
)

// maxBody bounds a record request body.
const maxBody = 1 << 20

// SaveResult is the body of a create or upsert: {"id","success","errors"} and, for an
// upsert from v46.0, "created".
type SaveResult struct {
	ID      string      `json:"id"`
	Success bool        `json:"success"`
	Errors  []ErrorBody `json:"errors"`
	Created *bool       `json:"created,omitempty"`
}

// writeSaveResult writes a successful SaveResult without reflection: it is every
// write's answer.
func writeSaveResult(w http.ResponseWriter, status int, id string, created *bool) {
	b := make([]byte, 0, 96)
	b = append(b, `{"id":"`...)
	b = append(b, id...) // ids need no escaping
	b = append(b, `","success":true,"errors":[]`...)
	if created != nil {
		b = append(b, `,"created":`...)
		b = strconv.AppendBool(b, *created)
	}
	writeRaw(w, status, append(b, '}'))
}

// serveSObjects routes /sobjects, /sobjects/{Type}, /sobjects/{Type}/describe,
// /sobjects/{Type}/{id} and /sobjects/{Type}/{Field}/{value}.
func (s *Server) serveSObjects(w http.ResponseWriter, r *http.Request, rq *request, method string) *apiError {
	parts := rq.parts[1:]
	if len(parts) == 0 {
		if method != http.MethodGet {
			return methodNotAllowed(r.Method, "GET,HEAD")
		}
		return s.serveDescribeGlobal(w, rq)
	}
	obj, ok := rq.st.schema.object(parts[0])
	if !ok || len(parts) > 3 {
		return notFound()
	}
	switch len(parts) {
	case 1:
		switch method {
		case http.MethodPost:
			return s.create(w, r, rq, obj)
		case http.MethodGet:
			writeJSON(w, http.StatusOK, map[string]any{"objectDescribe": describeBasic(obj, rq), "recentItems": []any{}})
			return nil
		}
		return methodNotAllowed(r.Method, "GET,HEAD,POST")
	case 2:
		seg := parts[1]
		if seg == "describe" {
			if method != http.MethodGet {
				return methodNotAllowed(r.Method, "GET,HEAD")
			}
			return s.serveDescribe(w, rq, obj)
		}
		if seg == "updated" || seg == "deleted" {
			if method != http.MethodGet {
				return methodNotAllowed(r.Method, "GET,HEAD")
			}
			if seg == "updated" {
				return s.serveUpdated(w, r, rq, obj)
			}
			return s.serveDeleted(w, r, rq, obj)
		}
		if !looksLikeID(seg) {
			if method == http.MethodGet {
				return newError(http.StatusNotFound, CodeNotFound, "Provided external ID field does not exist or is not accessible: "+seg)
			}
			if method == http.MethodPost && strings.EqualFold(seg, "Id") {
				return s.create(w, r, rq, obj)
			}
			return methodNotAllowed(r.Method, "GET,HEAD,POST")
		}
		id, ok := canonicalID(seg)
		if !ok || !strings.HasPrefix(id, obj.KeyPrefix) {
			return &apiError{status: http.StatusBadRequest, errs: []ErrorBody{{
				Message: fmt.Sprintf("%s ID: id value of incorrect type: %s", obj.Name, seg), ErrorCode: CodeMalformedID, Fields: []string{"Id"},
			}}}
		}
		switch method {
		case http.MethodGet:
			return s.get(w, r, rq, obj, id)
		case http.MethodPatch:
			return s.update(w, r, rq, obj, id)
		case http.MethodDelete:
			return s.delete(w, r, rq, obj, id)
		}
		return methodNotAllowed(r.Method, "GET,HEAD,PATCH,DELETE")
	default:
		field, value := parts[1], parts[2]
		var f *fieldDef
		if strings.EqualFold(field, "Id") {
			f, _ = obj.field("Id")
		} else if f, ok = obj.externalID(field); !ok {
			return notFound()
		}
		switch method {
		case http.MethodGet:
			return s.getByExternalID(w, r, rq, obj, f, value)
		case http.MethodPatch:
			return s.upsert(w, r, rq, obj, f, value)
		case http.MethodDelete:
			return s.deleteByExternalID(w, r, rq, obj, f, value)
		}
		return methodNotAllowed(r.Method, "GET,HEAD,PATCH,DELETE")
	}
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, *apiError) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, newError(http.StatusRequestEntityTooLarge, "REQUEST_ENTITY_TOO_LARGE", fmt.Sprintf("The request body is larger than %d bytes.", maxBody))
		}
		return nil, jsonParserError("The HTTP entity body could not be read.")
	}
	return b, nil
}

// readRecord reads and decodes a body and validates its values.
func readRecord(w http.ResponseWriter, r *http.Request, obj *objectDef) (*recordBody, []ErrorBody, *apiError) {
	raw, e := readBody(w, r)
	if e != nil {
		return nil, nil, e
	}
	body, e := decodeRecord(raw, obj)
	if e != nil {
		return nil, nil, e
	}
	return body, validate(body), nil
}

// allowSave reports whether the request carries Sforce-Duplicate-Rule-Header:
// allowSave=true.
func allowSave(r *http.Request) bool {
	h := r.Header.Get("Sforce-Duplicate-Rule-Header")
	if h == "" {
		return false
	}
	for _, part := range strings.Split(h, ",") {
		k, v, _ := strings.Cut(part, "=")
		if strings.EqualFold(strings.TrimSpace(k), "allowSave") && strings.EqualFold(strings.TrimSpace(v), "true") {
			return true
		}
	}
	return false
}

// create is POST /sobjects/{Type}: 201 {"id","success":true,"errors":[]}.
func (s *Server) create(w http.ResponseWriter, r *http.Request, rq *request, obj *objectDef) *apiError {
	body, verrs, e := readRecord(w, r, obj)
	if e != nil {
		return e
	}
	if body.id != "" {
		return dmlError(CodeInvalidFieldForInsertUpdate, "cannot specify Id in an insert call", "Id")
	}
	s.lock(rq)
	rec, e := s.saveLocked(allowSave(r), rq, obj, nil, body, verrs, nil)
	s.unlock(rq)
	if e != nil {
		return e
	}
	w.Header().Set("Location", rq.prefix()+"/sobjects/"+obj.Name+"/"+rec.id)
	writeSaveResult(w, http.StatusCreated, rec.id, nil)
	return nil
}

// update is PATCH /sobjects/{Type}/{id}: 204.
func (s *Server) update(w http.ResponseWriter, r *http.Request, rq *request, obj *objectDef, id string) *apiError {
	body, verrs, e := readRecord(w, r, obj)
	if e != nil {
		return e
	}
	if body.id != "" {
		if bid, ok := canonicalID(body.id); !ok || bid != id {
			return dmlError(CodeInvalidFieldForInsertUpdate, "Unable to create/update fields: Id. Please check the security settings of this field and verify that it is read/write for your profile or permission set.", "Id")
		}
	}
	s.lock(rq)
	defer s.unlock(rq)
	old := s.st.get(obj.Name, id)
	if e := existing(old); e != nil {
		return e
	}
	if _, e := s.saveLocked(allowSave(r), rq, obj, old, body, verrs, nil); e != nil {
		return e
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func existing(r *record) *apiError {
	switch {
	case r == nil:
		return notFound()
	case r.deleted:
		return newError(http.StatusNotFound, CodeEntityIsDeleted, "entity is deleted")
	}
	return nil
}

// upsert is PATCH /sobjects/{Type}/{Field}/{value}: 201 on insert; on update 200 with
// "created": false from v46.0, 204 before; 300 when several records match.
func (s *Server) upsert(w http.ResponseWriter, r *http.Request, rq *request, obj *objectDef, f *fieldDef, value string) *apiError {
	if value == "" {
		return notFound()
	}
	body, verrs, e := readRecord(w, r, obj)
	if e != nil {
		return e
	}
	if v, ok := body.get(f.Name); ok {
		if s, _ := v.value.(string); !strings.EqualFold(s, value) {
			return dmlError(CodeInvalidField, fmt.Sprintf("The value of %s in the request body does not match the value in the URL: %s", f.Name, ellipsis(value)), f.Name)
		}
	}
	if body.id != "" && f.Name != "Id" {
		return dmlError(CodeInvalidFieldForInsertUpdate, "cannot specify Id in an insert call", "Id")
	}
	updateOnly := strings.EqualFold(r.URL.Query().Get("updateOnly"), "true")
	s.lock(rq)
	defer s.unlock(rq)
	matches := s.st.lookup(obj.Name, f.Name, value)
	switch {
	case len(matches) > 1:
		writeMultipleChoices(w, rq, matches)
		return nil
	case len(matches) == 1:
		if _, e := s.saveLocked(allowSave(r), rq, obj, matches[0], body, verrs, nil); e != nil {
			return e
		}
		if rq.version < upsertCreatedFrom {
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
		created := false
		writeSaveResult(w, http.StatusOK, matches[0].id, &created)
		return nil
	case f.Name == "Id" || updateOnly:
		return notFound()
	}
	rec, e := s.saveLocked(allowSave(r), rq, obj, nil, body, verrs, map[string]any{f.Name: value})
	if e != nil {
		return e
	}
	var created *bool
	if rq.version >= upsertCreatedFrom {
		t := true
		created = &t
	}
	writeSaveResult(w, http.StatusCreated, rec.id, created)
	return nil
}

// writeMultipleChoices is the 300 answer: the URLs of the matching records.
func writeMultipleChoices(w http.ResponseWriter, rq *request, matches []*record) {
	urls := make([]string, len(matches))
	for i, m := range matches {
		urls[i] = rq.prefix() + "/sobjects/" + m.object + "/" + m.id
	}
	writeJSON(w, http.StatusMultipleChoices, urls)
}

// get is GET /sobjects/{Type}/{id}[?fields=A,B].
func (s *Server) get(w http.ResponseWriter, r *http.Request, rq *request, obj *objectDef, id string) *apiError {
	fields, e := selectedFields(r, obj)
	if e != nil {
		return e
	}
	s.rlock(rq)
	rec := s.st.get(obj.Name, id)
	s.runlock(rq)
	if rec == nil || rec.deleted {
		return notFound()
	}
	writeRendered(w, http.StatusOK, func(b []byte) []byte { return appendRecord(b, rq.prefix(), rec, fields) })
	return nil
}

func (s *Server) getByExternalID(w http.ResponseWriter, r *http.Request, rq *request, obj *objectDef, f *fieldDef, value string) *apiError {
	fields, e := selectedFields(r, obj)
	if e != nil {
		return e
	}
	s.rlock(rq)
	matches := s.st.lookup(obj.Name, f.Name, value)
	s.runlock(rq)
	switch len(matches) {
	case 0:
		return notFound()
	case 1:
		writeRendered(w, http.StatusOK, func(b []byte) []byte { return appendRecord(b, rq.prefix(), matches[0], fields) })
	default:
		writeMultipleChoices(w, rq, matches)
	}
	return nil
}

// selectedFields is the ?fields= list, or every field.
func selectedFields(r *http.Request, obj *objectDef) ([]string, *apiError) {
	if r.URL.RawQuery == "" {
		return obj.fieldNames, nil
	}
	q := r.URL.Query().Get("fields")
	if q == "" {
		return obj.fieldNames, nil
	}
	var out []string
	for _, name := range strings.Split(q, ",") {
		f, ok := obj.field(strings.TrimSpace(name))
		if !ok {
			return nil, newError(http.StatusBadRequest, CodeInvalidField, fmt.Sprintf("No such column '%s' on entity '%s'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", strings.TrimSpace(name), obj.Name))
		}
		out = append(out, f.Name)
	}
	return out, nil
}

// delete is DELETE /sobjects/{Type}/{id}: 204.
func (s *Server) delete(w http.ResponseWriter, r *http.Request, rq *request, obj *objectDef, id string) *apiError {
	s.lock(rq)
	defer s.unlock(rq)
	old := s.st.get(obj.Name, id)
	if e := existing(old); e != nil {
		return e
	}
	if e := s.deleteLocked(rq, obj, old); e != nil {
		return e
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) deleteByExternalID(w http.ResponseWriter, r *http.Request, rq *request, obj *objectDef, f *fieldDef, value string) *apiError {
	s.lock(rq)
	defer s.unlock(rq)
	matches := s.st.lookup(obj.Name, f.Name, value)
	switch len(matches) {
	case 0:
		return notFound()
	case 1:
		if e := s.deleteLocked(rq, obj, matches[0]); e != nil {
			return e
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	writeMultipleChoices(w, rq, matches)
	return nil
}

// deleteLocked deletes a live record, unless the lock-row dice refuse. s.mu must be held.
func (s *Server) deleteLocked(_ *request, obj *objectDef, old *record) *apiError {
	if e := s.lockRow(obj, old.values, old.id, false); e != nil {
		return e
	}
	s.st.remove(old, s.clock.Now())
	s.appendEffect(ledger.Deleted, obj, old.id, old.values, false, "")
	return nil
}

// lockRow rolls the lock_row_rate dice for a write and records a refusal.
func (s *Server) lockRow(obj *objectDef, values map[string]any, id string, create bool) *apiError {
	rate := s.settings.Load().lockRowRate
	if rate <= 0 || s.lockDice.Float64() >= rate {
		return nil
	}
	s.lockRowFailures.Add(1)
	if id == "" {
		id, _ = values["AccountId"].(string)
	}
	s.appendEffect(ledger.Rejected, obj, "", values, create, CodeUnableToLockRow)
	return dmlError(CodeUnableToLockRow, lockRowMessage(id))
}

// saveLocked creates a record (old nil) or updates old with body, then extra (the
// external id of an upsert). verrs are the body's validation errors; allow is
// Sforce-Duplicate-Rule-Header: allowSave=true. It checks required
// fields, references, row locks, the duplicate rule and unique external ids, in that
// order, and records the effect, or the refusal, in the ledger. s.mu must be held.
func (s *Server) saveLocked(allow bool, rq *request, obj *objectDef, old *record, body *recordBody, verrs []ErrorBody, extra map[string]any) (*record, *apiError) {
	create := old == nil
	values := make(map[string]any, len(obj.Fields))
	if create {
		for _, f := range obj.Fields {
			if f.Kind == kindBoolean && !f.ReadOnly {
				values[f.Name] = false
			}
		}
	} else {
		for k, v := range old.values {
			values[k] = v
		}
	}
	for _, v := range body.values {
		if v.value == nil {
			delete(values, v.field.Name)
		} else {
			values[v.field.Name] = v.value
		}
	}
	for k, v := range extra {
		values[k] = v
	}
	if obj.Name == ObjectContact {
		name := strings.TrimSpace(strings.TrimSpace(str(values["FirstName"])) + " " + str(values["LastName"]))
		values["Name"] = name
		if name == "" {
			delete(values, "Name")
		}
	}
	oldID := ""
	if !create {
		oldID = old.id
	}
	reject := func(e *apiError) (*record, *apiError) {
		s.appendEffect(ledger.Rejected, obj, oldID, values, create, e.code())
		return nil, e
	}
	var missing []string
	for _, f := range obj.Fields {
		if f.Required && values[f.Name] == nil {
			missing = append(missing, f.Name)
		}
	}
	if len(missing) > 0 {
		verrs = append([]ErrorBody{{ErrorCode: CodeRequiredFieldMissing, Message: "Required fields are missing: [" + strings.Join(missing, ", ") + "]", Fields: missing}}, verrs...)
	}
	for _, f := range obj.Fields {
		if f.Kind != kindReference {
			continue
		}
		ref, ok := values[f.Name].(string)
		if !ok || (!create && ref == str(old.values[f.Name])) || hasFieldError(verrs, f.Name) {
			continue
		}
		if target := s.st.get(f.RefObject, ref); target == nil || target.deleted {
			verrs = append(verrs, ErrorBody{ErrorCode: CodeInvalidCrossReferenceKey, Message: fmt.Sprintf("%s: id value of incorrect type: %s", f.Label, ref), Fields: []string{f.Name}})
		}
	}
	if len(verrs) > 0 {
		return reject(&apiError{status: http.StatusBadRequest, errs: verrs})
	}
	if e := s.lockRow(obj, values, oldID, create); e != nil {
		return nil, e
	}
	if obj.Name == ObjectContact && rq.st.duplicates && !allow {
		email, _ := values["Email"].(string)
		if email != "" && (create || !strings.EqualFold(email, str(old.values["Email"]))) {
			var dups []*record
			for _, m := range s.st.lookup(ObjectContact, "Email", email) {
				if m.id != oldID {
					dups = append(dups, m)
				}
			}
			if len(dups) > 0 {
				s.duplicatesDetected.Add(1)
				return reject(duplicatesDetected(rq, dups))
			}
		}
	}
	for _, f := range obj.ExternalIDs {
		v, _ := values[f.Name].(string)
		if !f.Unique || v == "" || (!create && strings.EqualFold(v, str(old.values[f.Name]))) {
			continue
		}
		for _, m := range s.st.lookup(obj.Name, f.Name, v) {
			if m.id != oldID {
				return reject(dmlError(CodeDuplicateValue, fmt.Sprintf("duplicate value found: %s duplicates value on record with id: %s", f.Name, m.id)))
			}
		}
	}
	now := s.clock.Now()
	var rec *record
	if create {
		rec = s.st.insert(obj.Name, values, now)
		s.appendEffect(ledger.Created, obj, rec.id, values, true, "")
	} else {
		rec = s.st.replace(old, values, now)
		s.appendEffect(ledger.Updated, obj, rec.id, values, false, "")
	}
	return rec, nil
}

func hasFieldError(errs []ErrorBody, field string) bool {
	for _, e := range errs {
		if slices.Contains(e.Fields, field) {
			return true
		}
	}
	return false
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// contactDetail are the ledger detail keys of a Contact and the fields they show.
var contactDetail = [][2]string{{"ltv", "Lifetime_Value__c"}, {"order_count", "Order_Count__c"}, {"segments", "Segments__c"}}

// appendEffect records an effect: external id is the primary external-id field's value,
// natural key the lower-cased email (Contact) or name (Account).
func (s *Server) appendEffect(action string, obj *objectDef, id string, values map[string]any, createAttempt bool, reason string) {
	e := ledger.Effect{At: s.clock.Now(), Action: action, Record: obj.Name, ID: id, CreateAttempt: createAttempt, Reason: reason}
	if len(obj.ExternalIDs) > 0 {
		e.ExternalID = str(values[obj.ExternalIDs[0].Name])
	}
	switch obj.Name {
	case ObjectContact:
		e.NaturalKey = strings.ToLower(str(values["Email"]))
		var detail []byte
		for _, kv := range contactDetail {
			if v := values[kv[1]]; v != nil {
				if detail == nil {
					detail = append(detail, '{')
				} else {
					detail = append(detail, ',')
				}
				detail = append(detail, `"`+kv[0]+`":`...)
				detail = appendValue(detail, v)
			}
		}
		if detail != nil {
			e.Detail = append(detail, '}')
		}
	case ObjectAccount:
		e.NaturalKey = strings.ToLower(str(values["Name"]))
	}
	if tx := s.st.tx; tx != nil {
		tx.effects = append(tx.effects, e)
		return
	}
	s.ledger.Append(e)
}

// duplicatesDetected is the DUPLICATES_DETECTED body of the standard Contact rule, with
// Salesforce's own spelling of "duplicateResut".
func duplicatesDetected(rq *request, matches []*record) *apiError {
	type recordRef struct {
		Attributes map[string]string `json:"attributes"`
		ID         string            `json:"Id"`
	}
	type matchRecord struct {
		AdditionalInformation []any       `json:"additionalInformation"`
		FieldDiffs            []any       `json:"fieldDiffs"`
		MatchConfidence       json.Number `json:"matchConfidence"`
		Record                recordRef   `json:"record"`
	}
	records := make([]matchRecord, len(matches))
	for i, m := range matches {
		records[i] = matchRecord{
			AdditionalInformation: []any{}, FieldDiffs: []any{}, MatchConfidence: "100.0",
			Record: recordRef{Attributes: map[string]string{"type": ObjectContact, "url": rq.prefix() + "/sobjects/Contact/" + m.id}, ID: m.id},
		}
	}
	body := []map[string]any{{
		"duplicateResut": map[string]any{
			"allowSave":               true,
			"duplicateRule":           "Standard_Contact_Duplicate_Rule",
			"duplicateRuleEntityType": ObjectContact,
			"errorMessage":            msgDuplicateRule,
			"matchResults": []map[string]any{{
				"entityType": ObjectContact, "errors": []any{}, "matchEngine": "FuzzyMatchEngine",
				"matchRecords": records, "rule": "Standard_Contact_Match_Rule_v1_1", "size": len(records), "success": true,
			}},
		},
		"errorCode": CodeDuplicatesDetected,
		"message":   msgDuplicateRule,
	}}
	return &apiError{status: http.StatusBadRequest, raw: body}
}
