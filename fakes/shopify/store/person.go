package store

import (
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/brianvoe/gofakeit/v7"
)

// Address is a mailing address as Shopify writes it on orders and customers.
type Address struct {
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name"`
	Address1     string `json:"address1"`
	Address2     string `json:"address2,omitempty"`
	City         string `json:"city"`
	Province     string `json:"province"`
	ProvinceCode string `json:"province_code"`
	Zip          string `json:"zip"`
	Country      string `json:"country"`
	CountryCode  string `json:"country_code"`
	Phone        string `json:"phone,omitempty"`
	Company      string `json:"company,omitempty"`
}

// Name is "First Last".
func (a Address) Name() string { return strings.TrimSpace(a.FirstName + " " + a.LastName) }

// person is a customer's generated identity. It is never stored: it is regenerated from
// the customer's seed whenever a payload needs it, which keeps the store small.
type person struct {
	FirstName, LastName, Email, Phone string
	Address                           Address
}

// makePerson generates customer number n's identity. The e-mail address ends with the
// customer number so the store can find a customer by e-mail without an index.
func makePerson(seed uint64, n int, abroad bool) person {
	f := gofakeit.NewFaker(rand.NewPCG(derive(seed, 2, n), 0x70657273), false)
	p := person{FirstName: f.FirstName(), LastName: f.LastName()}
	p.Email = emailFor(p.FirstName, p.LastName, n)
	p.Phone = "+1" + f.Phone()
	p.Address = makeAddress(f, p.FirstName, p.LastName, abroad)
	return p
}

func emailFor(first, last string, n int) string {
	clean := func(s string) string {
		var b strings.Builder
		for _, r := range strings.ToLower(s) {
			if r >= 'a' && r <= 'z' {
				b.WriteRune(r)
			}
		}
		if b.Len() == 0 {
			return "x"
		}
		return b.String()
	}
	return clean(first) + "." + clean(last) + "." + strconv.Itoa(n+1) + "@example.com"
}

// customerNumberFromEmail reads the customer number a generated e-mail ends with.
func customerNumberFromEmail(email string) (int, bool) {
	local, _, ok := strings.Cut(email, "@")
	if !ok {
		return 0, false
	}
	dot := strings.LastIndexByte(local, '.')
	if dot < 0 {
		return 0, false
	}
	n, err := strconv.Atoi(local[dot+1:])
	if err != nil || n < 1 {
		return 0, false
	}
	return n - 1, true
}

func makeAddress(f *gofakeit.Faker, first, last string, international bool) Address {
	a := Address{FirstName: first, LastName: last, Address1: f.Street(), City: f.City()}
	if f.Float64() < 0.15 {
		a.Address2 = "Apt " + strconv.Itoa(f.Number(1, 999))
	}
	if f.Float64() < 0.1 {
		a.Company = f.Company()
	}
	if !international {
		st := usStates[f.IntN(len(usStates))]
		a.Province, a.ProvinceCode, a.Country, a.CountryCode = st[1], st[0], "United States", "US"
		a.Zip = f.Zip()
		a.Phone = "+1" + f.Phone()
		return a
	}
	c := foreign[f.IntN(len(foreign))]
	a.Country, a.CountryCode = c.name, c.code
	if len(c.provinces) > 0 {
		p := c.provinces[f.IntN(len(c.provinces))]
		a.ProvinceCode, a.Province = p[0], p[1]
	}
	a.Zip = c.zip(f)
	return a
}

// usStates are the US destinations generated orders ship to (code, name); every one has a
// rate in the shared tax table.
var usStates = [][2]string{
	{"AL", "Alabama"}, {"AK", "Alaska"}, {"AZ", "Arizona"}, {"AR", "Arkansas"}, {"CA", "California"},
	{"CO", "Colorado"}, {"CT", "Connecticut"}, {"DE", "Delaware"}, {"DC", "District of Columbia"},
	{"FL", "Florida"}, {"GA", "Georgia"}, {"HI", "Hawaii"}, {"ID", "Idaho"}, {"IL", "Illinois"},
	{"IN", "Indiana"}, {"IA", "Iowa"}, {"KS", "Kansas"}, {"KY", "Kentucky"}, {"LA", "Louisiana"},
	{"ME", "Maine"}, {"MD", "Maryland"}, {"MA", "Massachusetts"}, {"MI", "Michigan"}, {"MN", "Minnesota"},
	{"MS", "Mississippi"}, {"MO", "Missouri"}, {"MT", "Montana"}, {"NE", "Nebraska"}, {"NV", "Nevada"},
	{"NH", "New Hampshire"}, {"NJ", "New Jersey"}, {"NM", "New Mexico"}, {"NY", "New York"},
	{"NC", "North Carolina"}, {"ND", "North Dakota"}, {"OH", "Ohio"}, {"OK", "Oklahoma"}, {"OR", "Oregon"},
	{"PA", "Pennsylvania"}, {"RI", "Rhode Island"}, {"SC", "South Carolina"}, {"SD", "South Dakota"},
	{"TN", "Tennessee"}, {"TX", "Texas"}, {"UT", "Utah"}, {"VT", "Vermont"}, {"VA", "Virginia"},
	{"WA", "Washington"}, {"WV", "West Virginia"}, {"WI", "Wisconsin"}, {"WY", "Wyoming"},
}

type country struct {
	code, name string
	provinces  [][2]string
	zip        func(*gofakeit.Faker) string
}

func digits(n int) func(*gofakeit.Faker) string {
	return func(f *gofakeit.Faker) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteByte(byte('0' + f.IntN(10)))
		}
		return b.String()
	}
}

// foreign are the non-US destinations; each has a rate in the shared tax table.
var foreign = []country{
	{code: "CA", name: "Canada", provinces: [][2]string{{"ON", "Ontario"}, {"QC", "Quebec"}, {"BC", "British Columbia"}, {"AB", "Alberta"}},
		zip: func(f *gofakeit.Faker) string {
			l := func() byte { return "ABCEGHJKLMNPRSTVXY"[f.IntN(18)] }
			d := func() byte { return byte('0' + f.IntN(10)) }
			return string([]byte{l(), d(), l(), ' ', d(), l(), d()})
		}},
	{code: "GB", name: "United Kingdom", zip: func(f *gofakeit.Faker) string {
		return "SW" + strconv.Itoa(f.Number(1, 20)) + " " + strconv.Itoa(f.Number(1, 9)) + "AA"
	}},
	{code: "DE", name: "Germany", zip: digits(5)},
	{code: "FR", name: "France", zip: digits(5)},
	{code: "NL", name: "Netherlands", zip: digits(4)},
	{code: "AU", name: "Australia", provinces: [][2]string{{"NSW", "New South Wales"}, {"VIC", "Victoria"}, {"QLD", "Queensland"}}, zip: digits(4)},
}
