"""Hand-written word lists for the rule-based recogniser: titles, organisation cues, non-entity capitals."""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Nationalities, religions, languages and ideologies: CoNLL calls these MISC, never a person, place or body.
DEMONYMS = _words("""
Afghan Albanian Algerian American Americans Angolan Arab Arabs Argentine Argentinian Armenian Asian Australian
Austrian Azeri Azeris Azerbaijani Bahraini Bangladeshi Basque Belarusian Belgian Bolivian Bosnian Brazilian British
Briton Britons Bulgarian Burmese Burundian Cambodian Cameroonian Canadian Catalan Chadian Chechen Chechens Chilean
Chinese Colombian Congolese Croat Croatian Cuban Cypriot Czech Danish Dutch Ecuadorean Egyptian English Eritrean
Estonian Ethiopian European Europeans Filipino Finnish French Georgian German Germans Ghanaian Greek Haitian
Hungarian Icelandic Indian Indonesian Iranian Iraqi Iraqis Irish Israeli Israelis Italian Jamaican Japanese
Jordanian Kazakh Kenyan Korean Kurd Kurdish Kurds Kuwaiti Kyrgyz Lao Latvian Lebanese Liberian Libyan Lithuanian
Macedonian Malaysian Malian Maltese Mexican Moldovan Mongolian Montenegrin Moroccan Mozambican Namibian Nepali
Nicaraguan Nigerian Norwegian Pakistani Palestinian Palestinians Panamanian Paraguayan Persian Peruvian Philippine
Polish Portuguese Romanian Russian Russians Rwandan Saudi Scandinavian Scottish Scot Scots Senegalese Serb Serbs
Serbian Sierra Singaporean Slovak Slovenian Somali Spanish Sri Sudanese Swedish Swiss Syrian Taiwanese Tajik
Tanzanian Thai Tibetan Tunisian Turkish Turk Turks Turkmen Ugandan Ukrainian Ukrainians Uruguayan Uzbek Venezuelan
Vietnamese Welsh Yemeni Roman Romans Yugoslav Zairean Zambian Zimbabwean African Africans Latin Western Eastern Northern
Southern Soviet Islamic Moslem Moslems Muslim Muslims Christian Christians Catholic Catholics Protestant Jewish
Jew Jews Hindu Hindus Sikh Buddhist Sunni Shi'ite Shiite Orthodox Arabic Hebrew Mandarin Cantonese Communist
Communists Socialist Democrat Democrats Republican Republicans Conservative Conservatives Liberal Liberals Marxist
Nazi Nazis Gaullist Zionist Hutu Hutus Tutsi Tutsis Bedouin Afrikaner Afrikaners Balkan Olympic Olympics
""")

# Capitalised words that start sentences or headlines but are not names.
NON_NAMES = _words("""
A An The This That These Those There Then Thus Here It Its He She His Her They Their Them We Our Us You Your I My
Me In On At Of For From To By With Without Into Onto Over Under After Before Since Until While When Where Why How
What Which Who Whom Whose If But And Or Nor So Yet Also Although Though However Meanwhile Moreover Furthermore
Today Tomorrow Yesterday Tonight Now Last Next First Second Third Fourth Fifth One Two Three Four Five Six Seven
Eight Nine Ten Some Many Most More Much Few Several All Any Each Every Both Other Another Such No Not Only Just Even
Still Already Neither Either Please Thank Thanks Yes Mr Mrs Ms Dr Sir Madam Monday Tuesday Wednesday Thursday Friday Saturday
Sunday January February March April May June July August September October November December Jan Feb Mar Apr
Jun Jul Aug Sep Sept Oct Nov Dec Read Source Home Updates Politics Business Sports News Opinion Share Click
Advertisement Photo Video Editor Editing Reporting Writing Compiled Update Updated Breaking Live
According Asked Despite During Earlier Later Instead Unlike Like Among Against Between Through Throughout
Following Under Above Below Inside Outside Near Around About Across Along Although Because Unless Whether
Police Government Officials Analysts Shares Prices Traders Dealers Sources Minister
President Presidents Leaders Leader Chairman Chief Spokesman Spokeswoman Spokesperson Secretary General Senator
Governor Judge King Queen Prince Pope Premier Chancellor Ambassador Mayor Director Manager Coach Captain Official
Total Net Profit Sales Revenue Turnover Results Shr Avg Qtr Note Notes Table Figures Source Fax Tel Pct Mln Bln
Percent Index Market Markets Stocks Bonds Futures Dollar Gold Oil Crude Wheat Corn Prices Week Month Year Day
Morning Afternoon Evening Night Quarter Half Don't Do Does Did Is Are Was Were Be Been Has Have Had Will Would
Can Could Should May Might Must Shall Let Hold Says Said Say Tells Told New Old Top Big Small High Low Long Short
""")

# Words that turn the capitalised name right after them into a person, and form the premodifier role.
TITLES = _words("""
Mr Mrs Ms Miss Dr Sir Dame Lord Lady Rev Prof Professor President Presidents Vice Prime Minister Ministers
Secretary Secretary-General Chancellor Premier Governor Gov Senator Sen Rep Representative Congressman
Congresswoman Mayor General Gen Lt Col Colonel Major Maj Capt Captain Sgt Sergeant Admiral Adm Commander Marshal
Lieutenant Brigadier Corporal
Judge Justice Ambassador Envoy King Queen Prince Princess Emperor Empress Pope Cardinal Archbishop Bishop Father
Sheikh Ayatollah Chairman Chairwoman Chairperson Chair Chief Director Spokesman Spokeswoman Spokesperson Adviser Advisor
Commissioner Counsellor Counselor Coach Leader Deputy Treasurer Attorney Inspector Superintendent Officer Executive
CEO Speaker Sheriff Trooper Detective Constable Magistrate Rabbi Imam Chief-Executive Crown Foreign Finance Defence Defense Interior Economy Trade Health Justice Education
Labour Labor Energy Agriculture Transport Home State Acting Former Ex Senior Junior Deputy Assistant Associate
""")
# Of TITLES, the words that name the office itself (the rest only qualify it: "Foreign", "Deputy").
TITLE_HEADS = _words("""
Mr Mrs Ms Miss Dr Sir Dame Lord Lady Rev Prof Professor President Presidents Minister Secretary Secretary-General
Chancellor Premier Governor Gov Senator Sen Rep Representative Congressman Congresswoman Mayor General Gen Lt Col
Colonel Major Maj Capt Captain Sgt Sergeant Admiral Adm Commander Marshal Judge Justice Ambassador Envoy King Queen
Prince Princess Emperor Empress Pope Cardinal Archbishop Bishop Father Sheikh Ayatollah Chairman Chairwoman
Chairperson Chair Chief Director Spokesman Spokeswoman Spokesperson Adviser Advisor Commissioner Counsellor Counselor
Coach Leader Treasurer Attorney Inspector Superintendent Officer Executive CEO Speaker Sheriff Trooper Detective
Constable Magistrate Rabbi Imam
""")

# Lower-case nouns that head a role ("the national security adviser", "a spokesman for").
ROLE_NOUNS = _words("""
president vice-president minister secretary chancellor premier governor senator mayor general colonel admiral
commander judge justice ambassador envoy king queen prince princess pope cardinal bishop chairman chairwoman chair
chief director spokesman spokeswoman spokesperson adviser advisor commissioner counsellor counselor coach leader
deputy treasurer attorney inspector officer executive ceo cfo coo cto speaker head founder co-founder owner partner
analyst economist strategist professor lecturer researcher scientist editor correspondent reporter columnist
lawyer prosecutor diplomat official aide manager president-elect candidate nominee lawmaker legislator
representative member captain striker goalkeeper player chairperson mediator negotiator administrator
""")

# Final words that make a capitalised sequence an organisation.
ORG_SUFFIXES = _words("""
Inc Inc. Ltd Ltd. Corp Corp. Co Co. Plc PLC AG SA NV BV GmbH SpA AB ASA Oyj LLC LP Llp Bhd Group Holdings Holding
Bank Bancorp Ministry Party Council Committee Commission Union Association Federation Confederation League
University College Institute School Academy Agency Authority Board Bureau Office Department Service Services
Court Parliament Assembly Congress Senate Army Navy Police Guard Forces Front Movement Alliance Coalition
Airlines Airways Motors Exchange Reserve Fund Foundation Organisation Organization Corporation Company Companies
Industries Industry Technologies Technology Systems Securities Capital Partners Trust Investments Energy Oil Petroleum
Resources Mining Telecom Daily Newsroom Newsdesk Desk Communications Networks Media Press Times Post Journal News Herald Tribune Gazette
Television Radio Broadcasting Club Society Church Brigade Brigades Council Cabinet Government Administration
Commission Secretariat Tribunal Chamber Centre Center Hospital Clinic Laboratories Pharmaceuticals Insurance
Electric Steel Chemical Chemicals Foods Brewery Airport Railway Railways Bancshares Financial Trading Ventures
Power Medical Pharmaceutical Pharmaceuticals Motor Gas Cement Textile Textiles Sugar Tobacco Shipping Marine
Aviation Semiconductor Software Electronics Bros Brothers Sons Associates Enterprises Products Manufacturing
Force Observatory Campaign
""")
# First words that open an organisation ("Bank of England", "Ministry of Defence").
ORG_HEADS = _words("""
Bank Ministry University Department Council Committee Commission Union Association Federation Institute Office
Board Bureau Court Church Party Organisation Organization Federal National Central Royal International Supreme
Nation Conference
""")
# Words after which "of" (and "for", "on") continues a name rather than ending it.
OF_HEADS = ORG_HEADS | _words("""
Secretary Minister Republic Kingdom Gulf Bay Sea Isle Island Islands Cape Strait Straits Sultanate Emirate Principality Commonwealth
State City Province Duchy House Chamber School College Agency Authority Academy Society Fund Foundation Centre
Center Movement Front Army Alliance League Coalition Conference Congress Parliament Assembly Council Secretariat
""")

# Well-known bodies named by a bare word or acronym that no suffix rule catches.
KNOWN_ORGS = _words("""
UN U.N. NATO EU E.U. IMF WHO WTO OPEC OSCE OECD ASEAN APEC G7 G8 G20 FBI CIA NSA KGB FSB MI5 MI6 IRA ETA PLO
Hamas Hezbollah Fatah Taliban Interfax Reuters AFP Xinhua Tass TASS Itar-Tass Bloomberg Nasdaq NYSE Fed Pentagon
Kremlin Treasury Congress Senate Parliament Bundesbank Bundestag Knesset Duma Sejm Interpol Unicef UNICEF UNESCO UNHCR
IAEA BBC CNN Microsoft Apple Google Amazon Facebook Meta Twitter Boeing Airbus Toyota Nissan Honda Siemens
Ericsson Nokia Sony Samsung Volkswagen Fiat Renault Peugeot Shell Exxon Chevron Gazprom Rosneft Greenpeace
Amnesty Labour Tories Likud Sinn Fein Solidarity Olivetti Pirelli Daimler Mercedes IBM Intel Motorola
""")
KNOWN_ORG_PHRASES = frozenset({
    "United Nations", "European Union", "European Commission", "World Bank", "Security Council",
    "Federal Reserve", "White House", "Red Cross", "Wall Street Journal", "New York Times", "Financial Times",
    "Washington Post", "Associated Press", "Supreme Court", "Foreign Ministry", "State Department",
    "Justice Department", "Defence Ministry", "Defense Ministry", "Finance Ministry", "Interior Ministry",
    "Central Bank", "African Union", "Arab League", "World Health Organization", "Amnesty International",
    "Human Rights Watch", "Liberal Democrats", "Sinn Fein", "National Front", "Standard & Poor's",
})

# Places that are also organisations in the news ("the White House said"): one actor either way.
ORG_PLACES = frozenset({"White House", "Kremlin", "Pentagon", "Downing Street", "Wall Street", "Capitol Hill"})

# One canonical name for common short forms of places and bodies.
CANONICAL = {
    "US": "United States", "U.S.": "United States", "USA": "United States", "U.S.A.": "United States",
    "America": "United States", "UK": "United Kingdom", "U.K.": "United Kingdom", "Britain": "United Kingdom",
    "Great Britain": "United Kingdom", "UN": "United Nations", "U.N.": "United Nations",
    "EU": "European Union", "E.U.": "European Union", "Fed": "Federal Reserve", "UAE": "United Arab Emirates",
    "N. Korea": "North Korea", "S. Korea": "South Korea", "S. Africa": "South Africa", "Holland": "Netherlands", "The Netherlands": "Netherlands", "Burma": "Myanmar",
}
PLACE_ACRONYMS = frozenset({"US", "U.S.", "USA", "U.S.A.", "UK", "U.K.", "UAE", "U.A.E.", "DRC", "PRC", "HK"})

# Joining words inside names ("Jean de la Fontaine", "Ludwig van Beethoven", "Omar al-Bashir").
PARTICLES = _words("de del della der den di da das do dos du la le van von bin ibn al el ter y wa")

# Lower-case words that end a premodifier role when walking left from a name.
ROLE_STOP = _words("""
a an the this that these those and or but with by to for from of in on at as into onto about than then said says
say told tells met meets meet is are was were be been has have had will would can could should may might must
who whom whose which when where while after before since during between among against under over via per
his her their its our your my according called named including led spoke speaks speak asked adding added
""")

NON_NAMES_FOLDED = frozenset(w.casefold() for w in NON_NAMES | TITLES)
DEMONYMS_FOLDED = frozenset(w.casefold() for w in DEMONYMS)
KNOWN_ORGS_FOLDED = frozenset(w.casefold() for w in KNOWN_ORGS | KNOWN_ORG_PHRASES)

# Of NON_NAMES, the words that are never part of a name, even mid-sentence.
HARD_NON_NAMES = _words("""
A An The This That These Those There Then Thus Here It Its He She His Her They Their Them We Our Us You Your I My
Me In On At Of For From To By With Without Into After Before Since Until While When Where Why How What Which Who
If But And Or Nor So Yet Also Although Though However Meanwhile Moreover Furthermore Today Tomorrow Yesterday
Tonight Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April June July August
September October November December Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec GMT EST EDT CET BST
GDP GNP CPI PPI PMI IPO VAT AIDS HIV CEO CFO TV PC OK AM PM
""")
COMPASS = _words("North South East West Northeast Northwest Southeast Southwest Central Northern Southern Eastern Western")
# Last words of events and works, which CoNLL calls MISC ("Gulf War", "World Cup").
EVENT_WORDS = _words("Day War Wars Cup Games Olympics Championship Championships Prize Award Awards Festival Open Act Accord Accords Treaty")
# Last words that make a nationality into a place ("Chechen Republic", "Russian Federation").
STATE_WORDS = _words("Republic Federation Kingdom Empire Emirates Confederation")
# Last words of place names ("Tiananmen Square", "West Bank" aside).
PLACE_SUFFIXES = _words("""
Square Street Avenue Road Island Islands Province Region River Valley Mountains Mountain Lake Sea Ocean Coast
Peninsula Strait Straits Heights Hills Park Bay Canal Desert Plain Plains Basin Delta County District Village
Falls Lakes Prison Jail
""")
# US state abbreviations, trusted only after a comma ("Detroit, Mich").
STATE_ABBREVS = _words("Ala Ariz Ark Calif Colo Conn Del Fla Ga Ill Ind Kan Ky La Md Mass Mich Minn Miss Mo Mont Neb Nev Okla Ore Pa Tenn Tex Va Vt Wash Wis Wyo")

# Lower-case words after a name that make it a market measure, not an actor ("the Hang Seng composite index").
INSTRUMENT_NOUNS = _words("index indices average averages futures composite industrial industrials contract contracts")
# Common nouns that, right after a name or before "of" + name, make it a place ("Hunan province", "town of X").
PLACE_NOUNS = _words("""
province region village town city port airport prison jail mosque church cathedral temple sanatorium hospital district
county valley river island islands coast border square street avenue palace camp refinery mine field peninsula
""")
# Common nouns that, right after a name, make it an organisation ("Pravda newspaper", "Acme shares").
ORG_NOUNS = _words("""
newspaper newspapers daily weekly magazine agency radio television tv shares stock stocks stake shareholders
subsidiary subsidiaries unit units spokesman spokeswoman spokesperson chairman executives management board workers
employees officials ceo cfo shareholders executive news guerrillas rebels militants militia fighters chief boss
""")
# Lower-case role nouns that make the name right after them a person ("analyst Orla Brinkmann").
PERSON_ROLE_NOUNS = _words("""
president minister secretary chancellor premier governor senator mayor general spokesman spokeswoman spokesperson
adviser advisor commissioner analyst economist strategist professor lawyer prosecutor diplomat aide negotiator envoy
ambassador leader chairman chairwoman director editor correspondent reporter columnist king queen prince princess
dissident actor actress singer writer novelist historian author journalist coach candidate nominee colonel captain
broker trader attache
""")
# Lower-case nouns that make the name right after them an organisation ("mineral water firm Aquafon").
ORG_ROLE_NOUNS = _words("""
firm company group operator carrier maker producer manufacturer bank insurer airline retailer rival subsidiary
newspaper daily weekly agency publisher brokerage conglomerate chain network exchange
""")
# Nouns before "of" that make the name after it a company ("20 percent of Acme", "shares of Acme").
STAKE_NOUNS = _words("percent pct stake stakes shares share shareholders holders control ownership unit units subsidiary")
# Bodies a country's abbreviation is part of the name of ("U.S. Treasury", "U.S. Army").
GOVERNMENT_BODIES = _words("Treasury Treasuries Congress Senate Army Navy Marines Embassy Mint Customs")
# Market jargon written with a capital that names an instrument, not a body ("Bunds extended losses").
MARKET_WORDS = _words("""
Bund Bunds Gilt Gilts Eurodollar Eurodollars Eurobond Eurobonds Euroyen T-bond T-bonds T-bill T-bills T-note
T-notes Schatz Bobl Bobls OAT OATs BTP BTPs JGB JGBs Libor LIBOR Pibor PIBOR Euribor EURIBOR
""")
