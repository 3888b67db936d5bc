package intel

import (
	"sort"
	"strings"
)

// countryTable lists countries and territories: ISO 3166-1 alpha-2 code,
// English name, the regions it belongs to, and other names feeds use.
const countryTable = `AD|Andorra|Europe,Southern Europe|
AE|United Arab Emirates|Asia,Middle East|UAE;Emirates
AF|Afghanistan|Asia,South Asia,Central Asia|
AG|Antigua and Barbuda|North America,Caribbean|
AL|Albania|Europe,Southern Europe,Eastern Europe|
AM|Armenia|Asia,Europe,Eastern Europe|
AO|Angola|Africa,Southern Africa|
AR|Argentina|South America|
AT|Austria|Europe,Western Europe,European Union|
AU|Australia|Oceania|
AZ|Azerbaijan|Asia,Europe,Eastern Europe|
BA|Bosnia and Herzegovina|Europe,Southern Europe,Eastern Europe|Bosnia
BB|Barbados|North America,Caribbean|
BD|Bangladesh|Asia,South Asia|
BE|Belgium|Europe,Western Europe,European Union|
BF|Burkina Faso|Africa|
BG|Bulgaria|Europe,Eastern Europe,European Union|
BH|Bahrain|Asia,Middle East|
BI|Burundi|Africa|
BJ|Benin|Africa|
BN|Brunei|Asia,Southeast Asia|Brunei Darussalam
BO|Bolivia|South America|
BR|Brazil|South America|
BS|Bahamas|North America,Caribbean|The Bahamas
BT|Bhutan|Asia,South Asia|
BW|Botswana|Africa,Southern Africa|
BY|Belarus|Europe,Eastern Europe|
BZ|Belize|North America,Central America|
CA|Canada|North America|
CD|Democratic Republic of the Congo|Africa|DR Congo;Congo-Kinshasa
CF|Central African Republic|Africa|
CG|Republic of the Congo|Africa|Congo;Congo-Brazzaville
CH|Switzerland|Europe,Western Europe|
CI|Ivory Coast|Africa|Côte d'Ivoire;Cote d'Ivoire
CL|Chile|South America|
CM|Cameroon|Africa|
CN|China|Asia,East Asia|People's Republic of China;PRC
CO|Colombia|South America|
CR|Costa Rica|North America,Central America|
CU|Cuba|North America,Caribbean|
CV|Cape Verde|Africa|Cabo Verde
CY|Cyprus|Europe,Southern Europe,European Union|
CZ|Czechia|Europe,Eastern Europe,European Union|Czech Republic
DE|Germany|Europe,Western Europe,European Union|
DJ|Djibouti|Africa,Northeast Africa|
DK|Denmark|Europe,Northern Europe,European Union|
DM|Dominica|North America,Caribbean|
DO|Dominican Republic|North America,Caribbean|
DZ|Algeria|Africa,North Africa|
EC|Ecuador|South America|
EE|Estonia|Europe,Northern Europe,Eastern Europe,European Union|
EG|Egypt|Africa,North Africa,Northeast Africa,Middle East|
ER|Eritrea|Africa,Northeast Africa|
ES|Spain|Europe,Southern Europe,European Union|
ET|Ethiopia|Africa,Northeast Africa|
FI|Finland|Europe,Northern Europe,European Union|
FJ|Fiji|Oceania|
FR|France|Europe,Western Europe,European Union|
GA|Gabon|Africa|
GB|United Kingdom|Europe,Northern Europe,Western Europe|UK;Great Britain;Britain;England;Scotland;Wales
GE|Georgia|Asia,Europe,Eastern Europe|
GH|Ghana|Africa|
GM|Gambia|Africa|The Gambia
GN|Guinea|Africa|
GQ|Equatorial Guinea|Africa|
GR|Greece|Europe,Southern Europe,European Union|
GT|Guatemala|North America,Central America|
GW|Guinea-Bissau|Africa|
GY|Guyana|South America|
HK|Hong Kong|Asia,East Asia|
HN|Honduras|North America,Central America|
HR|Croatia|Europe,Southern Europe,European Union|
HT|Haiti|North America,Caribbean|
HU|Hungary|Europe,Eastern Europe,European Union|
ID|Indonesia|Asia,Southeast Asia|
IE|Ireland|Europe,Northern Europe,Western Europe,European Union|
IL|Israel|Asia,Middle East|
IN|India|Asia,South Asia|
IQ|Iraq|Asia,Middle East|Kurdistan
IR|Iran|Asia,Middle East|Islamic Republic of Iran
IS|Iceland|Europe,Northern Europe|
IT|Italy|Europe,Southern Europe,European Union|
JM|Jamaica|North America,Caribbean|
JO|Jordan|Asia,Middle East|
JP|Japan|Asia,East Asia|
KE|Kenya|Africa|
KG|Kyrgyzstan|Asia,Central Asia|
KH|Cambodia|Asia,Southeast Asia|
KM|Comoros|Africa|
KN|Saint Kitts and Nevis|North America,Caribbean|
KP|North Korea|Asia,East Asia|DPRK;Democratic People's Republic of Korea
KR|South Korea|Asia,East Asia|Korea;Republic of Korea
KW|Kuwait|Asia,Middle East|
KZ|Kazakhstan|Asia,Central Asia|
LA|Laos|Asia,Southeast Asia|Lao PDR
LB|Lebanon|Asia,Middle East|Lebonon
LC|Saint Lucia|North America,Caribbean|
LI|Liechtenstein|Europe,Western Europe|
LK|Sri Lanka|Asia,South Asia|
LR|Liberia|Africa|
LS|Lesotho|Africa,Southern Africa|
LT|Lithuania|Europe,Northern Europe,Eastern Europe,European Union|
LU|Luxembourg|Europe,Western Europe,European Union|
LV|Latvia|Europe,Northern Europe,Eastern Europe,European Union|
LY|Libya|Africa,North Africa|
MA|Morocco|Africa,North Africa|
MC|Monaco|Europe,Western Europe|
MD|Moldova|Europe,Eastern Europe|
ME|Montenegro|Europe,Southern Europe,Eastern Europe|
MG|Madagascar|Africa|
MK|North Macedonia|Europe,Southern Europe,Eastern Europe|Macedonia
ML|Mali|Africa|
MM|Myanmar|Asia,Southeast Asia|Burma
MN|Mongolia|Asia,East Asia|
MO|Macao|Asia,East Asia|Macau
MR|Mauritania|Africa|
MT|Malta|Europe,Southern Europe,European Union|
MU|Mauritius|Africa|
MV|Maldives|Asia,South Asia|
MW|Malawi|Africa,Southern Africa|
MX|Mexico|North America,Central America|
MY|Malaysia|Asia,Southeast Asia|
MZ|Mozambique|Africa,Southern Africa|
NA|Namibia|Africa,Southern Africa|
NE|Niger|Africa|
NG|Nigeria|Africa|
NI|Nicaragua|North America,Central America|
NL|Netherlands|Europe,Western Europe,European Union|The Netherlands;Holland
NO|Norway|Europe,Northern Europe|
NP|Nepal|Asia,South Asia|
NZ|New Zealand|Oceania|
OM|Oman|Asia,Middle East|
PA|Panama|North America,Central America|
PE|Peru|South America|
PG|Papua New Guinea|Oceania|
PH|Philippines|Asia,Southeast Asia|The Philippines
PK|Pakistan|Asia,South Asia|
PL|Poland|Europe,Eastern Europe,European Union|
PS|Palestine|Asia,Middle East|Gaza;West Bank;State of Palestine
PT|Portugal|Europe,Southern Europe,European Union|
PY|Paraguay|South America|
QA|Qatar|Asia,Middle East|
RO|Romania|Europe,Eastern Europe,European Union|
RS|Serbia|Europe,Southern Europe,Eastern Europe|
RU|Russia|Europe,Asia,Eastern Europe|Russian Federation
RW|Rwanda|Africa|
SA|Saudi Arabia|Asia,Middle East|
SB|Solomon Islands|Oceania|
SC|Seychelles|Africa|
SD|Sudan|Africa,North Africa,Northeast Africa|
SE|Sweden|Europe,Northern Europe,European Union|
SG|Singapore|Asia,Southeast Asia|
SI|Slovenia|Europe,Southern Europe,European Union|
SK|Slovakia|Europe,Eastern Europe,European Union|
SL|Sierra Leone|Africa|
SM|San Marino|Europe,Southern Europe|
SN|Senegal|Africa|
SO|Somalia|Africa,Northeast Africa|
SR|Suriname|South America|
SS|South Sudan|Africa,Northeast Africa|
SV|El Salvador|North America,Central America|
SY|Syria|Asia,Middle East|Syrian Arab Republic
SZ|Eswatini|Africa,Southern Africa|Swaziland
TD|Chad|Africa|
TG|Togo|Africa|
TH|Thailand|Asia,Southeast Asia|
TJ|Tajikistan|Asia,Central Asia|
TL|Timor-Leste|Asia,Southeast Asia|East Timor
TM|Turkmenistan|Asia,Central Asia|
TN|Tunisia|Africa,North Africa|
TR|Türkiye|Asia,Europe,Middle East|Turkey
TT|Trinidad and Tobago|North America,Caribbean|
TW|Taiwan|Asia,East Asia|Republic of China
TZ|Tanzania|Africa|
UA|Ukraine|Europe,Eastern Europe|
UG|Uganda|Africa|
US|United States|North America|USA;United States of America;U.S.;America
UY|Uruguay|South America|
UZ|Uzbekistan|Asia,Central Asia|
VA|Vatican City|Europe,Southern Europe|Holy See
VE|Venezuela|South America|
VN|Vietnam|Asia,Southeast Asia|Viet Nam
YE|Yemen|Asia,Middle East|
ZA|South Africa|Africa,Southern Africa|
ZM|Zambia|Africa,Southern Africa|
ZW|Zimbabwe|Africa,Southern Africa|`

// regionAliases are other names of regions.
var regionAliases = map[string]string{
	"the middle east": "Middle East", "mena": "Middle East", "eu": "European Union", "apac": "Asia",
	"asia pacific": "Asia", "asia-pacific": "Asia", "southeast asian": "Southeast Asia", "latin america": "South America",
	"americas": "North America", "emea": "Europe",
}

// Global is the victim value for adversaries that target everyone.
const Global = "Global"

type country struct {
	code, name string
	regions    []string
}

var (
	countries   = map[string]*country{} // by lower-case code, name and alias
	regionNames = map[string]string{}   // lower-case → display name
)

func init() {
	for line := range strings.SplitSeq(countryTable, "\n") {
		f := strings.Split(line, "|")
		c := &country{code: f[0], name: f[1], regions: strings.Split(f[2], ",")}
		countries[strings.ToLower(c.code)] = c
		countries[strings.ToLower(c.name)] = c
		if f[3] != "" {
			for a := range strings.SplitSeq(f[3], ";") {
				countries[strings.ToLower(a)] = c
			}
		}
		for _, r := range c.regions {
			regionNames[strings.ToLower(r)] = r
		}
	}
	for a, r := range regionAliases {
		regionNames[a] = r
	}
	regionNames[strings.ToLower(Global)] = Global
}

// Place is a country or a region, as an organisation profile or a feed's
// victims name it.
type Place struct {
	// Country is the ISO 3166-1 alpha-2 code, or "" for a region.
	Country string
	// Name is the country's or region's English name.
	Name string
}

// ParsePlace reads a country (name, alias or ISO code) or a region name.
func ParsePlace(s string) (Place, bool) {
	k := strings.ToLower(strings.TrimSpace(s))
	if c, ok := countries[k]; ok {
		return Place{Country: c.code, Name: c.name}, true
	}
	if r, ok := regionNames[k]; ok {
		return Place{Name: r}, true
	}
	return Place{}, false
}

// Regions lists the region names places may use, sorted.
func Regions() []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range regionNames {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	sort.Strings(out)
	return out
}

// contains reports whether place a includes place b: the same country, a
// region holding the country, the same region, or Global.
func (a Place) contains(b Place) bool {
	switch {
	case a.Name == Global:
		return true
	case a.Country != "" && b.Country != "":
		return a.Country == b.Country
	case a.Country == "" && b.Country != "":
		for _, r := range countries[strings.ToLower(b.Country)].regions {
			if r == a.Name {
				return true
			}
		}
		return false
	case a.Country == "" && b.Country == "":
		return a.Name == b.Name
	}
	return false
}
