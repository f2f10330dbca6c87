package salesforce

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// sObject Collections (/composite/sobjects): create, update, upsert, retrieve and delete
// many records in one call. The whole request counts as one call against the daily
// allocation ("The entire request counts as a single call toward your API limits",
// REST API Developer Guide, sObject Collections).
const (
	// maxCollectionRecords is the most records a create, update, upsert or delete
	// takes; maxRetrieveIDs the most ids a retrieve by POST takes.
	maxCollectionRecords = 200
	maxRetrieveIDs       = 2000
	// maxCollectionBody bounds a collection or composite request body.
	maxCollectionBody = 4 << 20
	// First versions: collections in v42.0, upsert by external id in v46.0.
	collectionsFrom       = 42
	collectionsUpsertFrom = 46
)

// msgRolledBack is the error of a record that succeeded and was rolled back because
// another failed under allOrNone.
const msgRolledBack = "Record rolled back because not all records were valid and the request was using AllOrNone header"

// CollectionError is one error of a record in an sObject Collections answer. Unlike the
// error array of a single-record call, it names the code statusCode.
type CollectionError struct {
	StatusCode string   `json:"statusCode"`
	Message    string   `json:"message"`
	Fields     []string `json:"fields"`
}

// CollectionResult is one record's outcome in an sObject Collections answer:
// {"id","success","errors"} and, for an upsert, "created". A failed create has no id.
type CollectionResult struct {
	ID      string            `json:"id,omitempty"`
	Success bool              `json:"success"`
	Errors  []CollectionError `json:"errors"`
	Created *bool             `json:"created,omitempty"`
	// inserted marks a success that made a new record: rolled back, it has no id.
	inserted bool
}

// collectionErrors turns a failed save into the errors of a collection result.
func collectionErrors(e *apiError) []CollectionError {
	if e.raw != nil {
		return []CollectionError{{StatusCode: e.code(), Message: msgDuplicateRule, Fields: []string{}}}
	}
	out := make([]CollectionError, len(e.errs))
	for i, eb := range e.errs {
		f := eb.Fields
		if f == nil {
			f = []string{}
		}
		out[i] = CollectionError{StatusCode: eb.ErrorCode, Message: eb.Message, Fields: f}
	}
	return out
}

func failed(id string, code, msg string, fields ...string) CollectionResult {
	if fields == nil {
		fields = []string{}
	}
	return CollectionResult{ID: id, Errors: []CollectionError{{StatusCode: code, Message: msg, Fields: fields}}}
}

func succeeded(id string, created *bool) CollectionResult {
	return CollectionResult{ID: id, Success: true, Errors: []CollectionError{}, Created: created}
}

// inserted is the success of a create.
func inserted(id string, created *bool) CollectionResult {
	r := succeeded(id, created)
	r.inserted = true
	return r
}

func boolPtr(b bool) *bool { return &b }

func exceededIDLimit() *apiError {
	return newError(http.StatusBadRequest, CodeExceededIDLimit, "record limit reached. cannot submit more than 200 records into this call")
}

// collectionBody is the body of a create, update or upsert: {"allOrNone","records"}.
type collectionBody struct {
	allOrNone bool
	records   []json.RawMessage
}

// parseCollectionBody reads {"allOrNone":bool,"records":[{...},...]}. Other keys are
// ignored; every record must be a JSON object.
func parseCollectionBody(raw []byte) (*collectionBody, *apiError) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, jsonParserError("The HTTP entity body is required, but this request has no entity body.")
	}
	if !json.Valid(raw) {
		return nil, describeSyntaxError(raw)
	}
	var in struct {
		AllOrNone *bool             `json:"allOrNone"`
		Records   []json.RawMessage `json:"records"`
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, unmarshalError(raw, err)
	}
	for _, r := range in.Records {
		if t := bytes.TrimSpace(r); len(t) == 0 || t[0] != '{' {
			return nil, jsonParserError("Cannot deserialize instance of SObject from %s value %s or request may be missing a required field", tokenName(t), ellipsis(string(t)))
		}
	}
	return &collectionBody{allOrNone: in.AllOrNone != nil && *in.AllOrNone, records: in.Records}, nil
}

// unmarshalError words a valid JSON body of the wrong shape.
func unmarshalError(raw []byte, err error) *apiError {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return jsonParserError("Cannot deserialize instance of %s from %s value or request may be missing a required field at %s", te.Type, strings.ToUpper(te.Value), position(raw, te.Offset))
	}
	return jsonParserError("Unexpected content: %s", ellipsis(err.Error()))
}

// recordType reads attributes.type of a record in a collection.
func recordType(raw json.RawMessage) string {
	var r struct {
		Attributes struct {
			Type string `json:"type"`
		} `json:"attributes"`
	}
	_ = json.Unmarshal(raw, &r)
	return r.Attributes.Type
}

func invalidType(name string) *apiError {
	if name == "" {
		return newError(http.StatusBadRequest, CodeInvalidType, "Each record must have an attributes map with a type")
	}
	return newError(http.StatusBadRequest, CodeInvalidType, fmt.Sprintf("sObject type '%s' is not supported.", name))
}

func readCollectionBody(w http.ResponseWriter, r *http.Request) ([]byte, *apiError) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCollectionBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, newError(http.StatusRequestEntityTooLarge, "REQUEST_ENTITY_TOO_LARGE", fmt.Sprintf("The request body is larger than %d bytes.", maxCollectionBody))
		}
		return nil, jsonParserError("The HTTP entity body could not be read.")
	}
	return b, nil
}

// decodedRecord is one record of a collection, decoded against its type.
type decodedRecord struct {
	obj   *objectDef
	body  *recordBody
	verrs []ErrorBody
}

// readCollection reads the body of a collection create, update or upsert: allOrNone and
// at most maxCollectionRecords records, each decoded (and of type want, if not nil).
func readCollection(w http.ResponseWriter, r *http.Request, rq *request, want *objectDef) (bool, []decodedRecord, *apiError) {
	raw, e := readCollectionBody(w, r)
	if e != nil {
		return false, nil, e
	}
	cb, e := parseCollectionBody(raw)
	if e != nil {
		return false, nil, e
	}
	if len(cb.records) > maxCollectionRecords {
		return false, nil, exceededIDLimit()
	}
	recs, e := decodeCollection(rq, cb.records, want)
	if e != nil {
		return false, nil, e
	}
	return cb.allOrNone, recs, nil
}

// decodeCollection decodes every record before anything is saved: a record that cannot
// be read fails the whole request, as Salesforce answers a request that is not well
// formed with 400. want, if set, is the only type allowed.
func decodeCollection(rq *request, records []json.RawMessage, want *objectDef) ([]decodedRecord, *apiError) {
	out := make([]decodedRecord, len(records))
	for i, raw := range records {
		typ := recordType(raw)
		obj, ok := rq.st.schema.object(typ)
		if want != nil && typ == "" {
			obj, ok = want, true
		}
		if !ok || (want != nil && obj != want) {
			return nil, invalidType(typ)
		}
		body, e := decodeRecord(raw, obj)
		if e != nil {
			return nil, e
		}
		out[i] = decodedRecord{obj: obj, body: body, verrs: validate(body)}
	}
	return out, nil
}

// serveCollections routes /composite/sobjects[/{Type}[/{Field}]].
func (s *Server) serveCollections(w http.ResponseWriter, r *http.Request, rq *request, method string, parts []string) *apiError {
	if rq.version < collectionsFrom {
		return notFound()
	}
	switch len(parts) {
	case 0:
		switch method {
		case http.MethodPost:
			return s.collectionCreate(w, r, rq)
		case http.MethodPatch:
			return s.collectionUpdate(w, r, rq)
		case http.MethodDelete:
			return s.collectionDelete(w, r, rq)
		}
		return methodNotAllowed(r.Method, "POST,PATCH,DELETE")
	case 1:
		obj, ok := rq.st.schema.object(parts[0])
		if !ok {
			return notFound()
		}
		switch method {
		case http.MethodGet, http.MethodPost:
			return s.collectionRetrieve(w, r, rq, obj, method)
		}
		return methodNotAllowed(r.Method, "GET,HEAD,POST")
	case 2:
		obj, ok := rq.st.schema.object(parts[0])
		if !ok || rq.version < collectionsUpsertFrom {
			return notFound()
		}
		var f *fieldDef
		if strings.EqualFold(parts[1], "Id") {
			f, _ = obj.field("Id")
		} else if f, ok = obj.externalID(parts[1]); !ok {
			return notFound()
		}
		if method != http.MethodPatch {
			return methodNotAllowed(r.Method, "PATCH")
		}
		return s.collectionUpsert(w, r, rq, obj, f)
	}
	return notFound()
}

// runCollection saves each record with save, as one transaction: under allOrNone, a
// failure rolls every change back and the records that had succeeded answer
// ALL_OR_NONE_OPERATION_ROLLED_BACK.
func (s *Server) runCollection(rq *request, allOrNone bool, n int, save func(i int) CollectionResult) []CollectionResult {
	out := make([]CollectionResult, n)
	s.lock(rq)
	defer s.unlock(rq)
	tx, own := s.beginTx()
	sp := tx.mark()
	anyFailed := false
	for i := range n {
		out[i] = save(i)
		anyFailed = anyFailed || !out[i].Success
	}
	if allOrNone && anyFailed {
		s.rollbackTo(tx, sp)
		for i, res := range out {
			if res.Success {
				id := res.ID
				if res.inserted {
					id = ""
				}
				out[i] = failed(id, CodeAllOrNoneRolledBack, msgRolledBack)
			}
		}
	}
	s.endTx(tx, own)
	return out
}

// collectionCreate is POST /composite/sobjects: up to 200 records of any types, each
// with attributes.type and no Id.
func (s *Server) collectionCreate(w http.ResponseWriter, r *http.Request, rq *request) *apiError {
	allOrNone, recs, e := readCollection(w, r, rq, nil)
	if e != nil {
		return e
	}
	allow := allowSave(r)
	out := s.runCollection(rq, allOrNone, len(recs), func(i int) CollectionResult {
		d := recs[i]
		if d.body.id != "" {
			return failed("", CodeInvalidFieldForInsertUpdate, "cannot specify Id in an insert call", "Id")
		}
		rec, e := s.saveLocked(allow, rq, d.obj, nil, d.body, d.verrs, nil)
		if e != nil {
			return CollectionResult{Errors: collectionErrors(e)}
		}
		return inserted(rec.id, nil)
	})
	writeJSON(w, http.StatusOK, out)
	return nil
}

// existingForWrite finds a live record by id for an update or delete in a collection,
// or the per-record error Salesforce gives.
func (s *Server) existingForWrite(obj *objectDef, rawID string) (*record, *CollectionResult) {
	id, ok := canonicalID(rawID)
	if !ok || objectOfID(id) == "" || (obj != nil && !strings.HasPrefix(id, obj.KeyPrefix)) {
		r := failed(rawID, CodeMalformedID, "malformed id "+ellipsis(rawID))
		return nil, &r
	}
	rec := s.st.get(objectOfID(id), id)
	switch {
	case rec == nil:
		r := failed(id, CodeInvalidCrossReferenceKey, "invalid cross reference id")
		return nil, &r
	case rec.deleted:
		r := failed(id, CodeEntityIsDeleted, "entity is deleted")
		return nil, &r
	}
	return rec, nil
}

// objectOfID is the object an id's key prefix names ("" if none the fake serves).
func objectOfID(id string) string {
	switch {
	case strings.HasPrefix(id, PrefixContact):
		return ObjectContact
	case strings.HasPrefix(id, PrefixAccount):
		return ObjectAccount
	}
	return ""
}

// collectionUpdate is PATCH /composite/sobjects: up to 200 records, each with its id.
func (s *Server) collectionUpdate(w http.ResponseWriter, r *http.Request, rq *request) *apiError {
	allOrNone, recs, e := readCollection(w, r, rq, nil)
	if e != nil {
		return e
	}
	allow := allowSave(r)
	out := s.runCollection(rq, allOrNone, len(recs), func(i int) CollectionResult {
		d := recs[i]
		if d.body.id == "" {
			return failed("", CodeMissingArgument, "Id not specified in an update call")
		}
		old, fail := s.existingForWrite(d.obj, d.body.id)
		if fail != nil {
			return *fail
		}
		rec, e := s.saveLocked(allow, rq, d.obj, old, d.body, d.verrs, nil)
		if e != nil {
			return CollectionResult{ID: old.id, Errors: collectionErrors(e)}
		}
		return succeeded(rec.id, nil)
	})
	writeJSON(w, http.StatusOK, out)
	return nil
}

// collectionDelete is DELETE /composite/sobjects?ids=A,B[&allOrNone=true].
func (s *Server) collectionDelete(w http.ResponseWriter, r *http.Request, rq *request) *apiError {
	q := r.URL.Query()
	ids := splitList(q.Get("ids"))
	if len(ids) == 0 {
		return newError(http.StatusBadRequest, CodeMissingArgument, "ids parameter is required")
	}
	if len(ids) > maxCollectionRecords {
		return exceededIDLimit()
	}
	out := s.runCollection(rq, strings.EqualFold(q.Get("allOrNone"), "true"), len(ids), func(i int) CollectionResult {
		old, fail := s.existingForWrite(nil, ids[i])
		if fail != nil {
			return *fail
		}
		obj, _ := rq.st.schema.object(old.object)
		if e := s.deleteLocked(rq, obj, old); e != nil {
			return CollectionResult{ID: old.id, Errors: collectionErrors(e)}
		}
		return succeeded(old.id, nil)
	})
	writeJSON(w, http.StatusOK, out)
	return nil
}

// splitList splits a comma-separated parameter, dropping blanks.
func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// collectionRetrieve is GET /composite/sobjects/{Type}?ids=&fields= or POST with
// {"ids":[...],"fields":[...]}: the records in the order asked, null for an id that is
// malformed, of another type or of no live record.
func (s *Server) collectionRetrieve(w http.ResponseWriter, r *http.Request, rq *request, obj *objectDef, method string) *apiError {
	var ids, names []string
	if method == http.MethodGet {
		q := r.URL.Query()
		ids, names = splitList(q.Get("ids")), splitList(q.Get("fields"))
	} else {
		raw, e := readCollectionBody(w, r)
		if e != nil {
			return e
		}
		if !json.Valid(raw) {
			return describeSyntaxError(raw)
		}
		var in struct {
			IDs    []string `json:"ids"`
			Fields []string `json:"fields"`
		}
		if err := json.Unmarshal(raw, &in); err != nil {
			return unmarshalError(raw, err)
		}
		ids, names = in.IDs, in.Fields
		if len(ids) > maxRetrieveIDs {
			return newError(http.StatusBadRequest, CodeExceededIDLimit, fmt.Sprintf("record limit reached. cannot retrieve more than %d records in this call", maxRetrieveIDs))
		}
	}
	if len(ids) == 0 {
		return newError(http.StatusBadRequest, CodeMissingArgument, "ids is required")
	}
	if len(names) == 0 {
		return newError(http.StatusBadRequest, CodeMissingArgument, "fields is required")
	}
	fields := make([]string, len(names))
	for i, n := range names {
		f, ok := obj.field(strings.TrimSpace(n))
		if !ok {
			return noSuchColumn(strings.TrimSpace(n), obj)
		}
		fields[i] = f.Name
	}
	recs := make([]*record, len(ids))
	s.rlock(rq)
	for i, raw := range ids {
		if id, ok := canonicalID(raw); ok && strings.HasPrefix(id, obj.KeyPrefix) {
			if rec := s.st.get(obj.Name, id); rec != nil && !rec.deleted {
				recs[i] = rec
			}
		}
	}
	s.runlock(rq)
	writeRendered(w, http.StatusOK, func(b []byte) []byte {
		b = append(b, '[')
		for i, rec := range recs {
			if i > 0 {
				b = append(b, ',')
			}
			if rec == nil {
				b = append(b, "null"...)
			} else {
				b = appendRecord(b, rq.prefix(), rec, fields)
			}
		}
		return append(b, ']')
	})
	return nil
}

func noSuchColumn(name string, obj *objectDef) *apiError {
	return newError(http.StatusBadRequest, CodeInvalidField, fmt.Sprintf("No such column '%s' on entity '%s'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", name, obj.Name))
}

// collectionUpsert is PATCH /composite/sobjects/{Type}/{Field}: up to 200 records of
// the type, each carrying its external id, inserted or updated by it.
func (s *Server) collectionUpsert(w http.ResponseWriter, r *http.Request, rq *request, obj *objectDef, f *fieldDef) *apiError {
	allOrNone, recs, e := readCollection(w, r, rq, obj)
	if e != nil {
		return e
	}
	byID := f.Name == "Id"
	// Records sharing an external id in one request all fail: Salesforce cannot tell
	// which one to apply.
	keys := make([]string, len(recs))
	seen := map[string]int{}
	for i, d := range recs {
		if byID {
			keys[i] = d.body.id
		} else if v, ok := d.body.get(f.Name); ok {
			keys[i], _ = v.value.(string)
		}
		if keys[i] != "" {
			seen[strings.ToLower(keys[i])]++
		}
	}
	allow := allowSave(r)
	out := s.runCollection(rq, allOrNone, len(recs), func(i int) CollectionResult {
		d, key := recs[i], keys[i]
		switch {
		case byID && key == "":
			rec, e := s.saveLocked(allow, rq, obj, nil, d.body, d.verrs, nil)
			if e != nil {
				return CollectionResult{Errors: collectionErrors(e)}
			}
			return inserted(rec.id, boolPtr(true))
		case key == "":
			return failed("", CodeMissingArgument, f.Name+" not specified", f.Name)
		case seen[strings.ToLower(key)] > 1:
			return failed("", CodeDuplicateValue, "Duplicate external id specified: "+ellipsis(key))
		case byID:
			old, fail := s.existingForWrite(obj, key)
			if fail != nil {
				return *fail
			}
			d.body.id = ""
			rec, e := s.saveLocked(allow, rq, obj, old, d.body, d.verrs, nil)
			if e != nil {
				return CollectionResult{ID: old.id, Errors: collectionErrors(e)}
			}
			return succeeded(rec.id, boolPtr(false))
		}
		if d.body.id != "" {
			return failed("", CodeInvalidFieldForInsertUpdate, "cannot specify Id in an insert call", "Id")
		}
		matches := s.st.lookup(obj.Name, f.Name, key)
		switch len(matches) {
		case 0:
			rec, e := s.saveLocked(allow, rq, obj, nil, d.body, d.verrs, nil)
			if e != nil {
				return CollectionResult{Errors: collectionErrors(e)}
			}
			return inserted(rec.id, boolPtr(true))
		case 1:
			rec, e := s.saveLocked(allow, rq, obj, matches[0], d.body, d.verrs, nil)
			if e != nil {
				return CollectionResult{ID: matches[0].id, Errors: collectionErrors(e)}
			}
			return succeeded(rec.id, boolPtr(false))
		}
		return failed("", CodeDuplicateExternalID, "Duplicate external id specified: "+ellipsis(key), f.Name)
	})
	writeJSON(w, http.StatusOK, out)
	return nil
}
