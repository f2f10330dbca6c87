package salesforce

import (
	"net/http"
)

type describeField struct {
	Name        string `json:"name"`
	Label       string `json:"label"`
	Type        string `json:"type"`
	Length      int    `json:"length"`
	Precision   int    `json:"precision"`
	Scale       int    `json:"scale"`
	Nillable    bool   `json:"nillable"`
	Createable  bool   `json:"createable"`
	Updateable  bool   `json:"updateable"`
	ExternalID  bool   `json:"externalId"`
	Unique      bool   `json:"unique"`
	Custom      bool   `json:"custom"`
	Filterable  bool   `json:"filterable"`
	ReferenceTo []any  `json:"referenceTo"`
	// RelationshipName is the lookup's name in SOQL paths (Account for AccountId).
	RelationshipName *string `json:"relationshipName"`
}

func describeBasic(obj *objectDef, rq *request) map[string]any {
	base := rq.prefix() + "/sobjects/" + obj.Name
	return map[string]any{
		"name": obj.Name, "label": obj.Label, "keyPrefix": obj.KeyPrefix, "custom": false,
		"createable": true, "updateable": true, "deletable": true, "queryable": true,
		"urls": map[string]string{"sobject": base, "describe": base + "/describe", "rowTemplate": base + "/{ID}"},
	}
}

// serveDescribe is GET /sobjects/{Type}/describe: the object and its fields.
func (s *Server) serveDescribe(w http.ResponseWriter, rq *request, obj *objectDef) *apiError {
	out := describeBasic(obj, rq)
	fields := make([]describeField, len(obj.Fields))
	for i, f := range obj.Fields {
		d := describeField{
			Name: f.Name, Label: f.Label, Type: kindNames[f.Kind], Length: f.Length, Precision: f.Precision, Scale: f.Scale,
			Nillable: !f.Required && f.Kind != kindBoolean && !f.ReadOnly, Createable: !f.ReadOnly, Updateable: !f.ReadOnly,
			ExternalID: f.ExternalID, Unique: f.Unique, Custom: len(f.Name) > 3 && f.Name[len(f.Name)-3:] == "__c",
			Filterable: true, ReferenceTo: []any{},
		}
		if f.RefObject != "" {
			d.ReferenceTo = []any{f.RefObject}
			rel := f.relationshipName()
			d.RelationshipName = &rel
		}
		fields[i] = d
	}
	out["fields"] = fields
	writeJSON(w, http.StatusOK, out)
	return nil
}

// serveDescribeGlobal is GET /sobjects: the objects this fake serves.
func (s *Server) serveDescribeGlobal(w http.ResponseWriter, rq *request) *apiError {
	var objs []map[string]any
	for _, name := range []string{ObjectAccount, ObjectContact} {
		obj, _ := rq.st.schema.object(name)
		objs = append(objs, describeBasic(obj, rq))
	}
	writeJSON(w, http.StatusOK, map[string]any{"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": objs})
	return nil
}
