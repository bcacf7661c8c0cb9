"""Demo courses: partners, two terms, venues and co-produced courses, all published.

Everything goes through the services, so the demo obeys the same rules as the office:
each course has its pair on every session, peers hold the programme their course asks
for, and nobody is booked twice at the same time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

from college.demo import DemoCollege
from college.models import Programme, User
from courses import services
from courses.models import Audience, CourseFormat, Partner, PartnerKind, Term, Topic, Venue
from courses.times import to_utc

SEASONS = {12: "Vinter", 1: "Vinter", 2: "Vinter", 3: "Forår", 4: "Forår", 5: "Forår"}
SEASONS |= {6: "Sommer", 7: "Sommer", 8: "Sommer", 9: "Efterår", 10: "Efterår", 11: "Efterår"}


@dataclass(frozen=True)
class DemoCourse:
    title: str
    summary: str
    description: str
    outcomes: str
    topic: Topic
    audience: Audience
    format: CourseFormat
    capacity: int
    programme: Programme
    next_term: bool
    # Weeks from today (current term) or from the start of the next term.
    start_week: int
    venue: str
    partners: tuple[str, ...]
    weekday: int
    start: time
    minutes: int
    count: int
    peer: int
    trainer: int


VENUES = {
    "skolegade": services.VenueDetails(
        name="Recovery College, Skolegade",
        address="Skolegade 12, 8000 Aarhus C",
        accessibility_notes=(
            "Trinfri adgang fra gaden og elevator til 1. sal. Handicaptoilet i stueetagen. "
            "Teleslynge i det store lokale. Et stille rum er åbent i alle pauser."
        ),
    ),
    "silkeborg": services.VenueDetails(
        name="Silkeborg Bibliotek, mødesalen",
        address="Hostrupsgade 41, 8600 Silkeborg",
        accessibility_notes=(
            "Niveaufri indgang og elevator. Handicapparkering lige ved indgangen. "
            "Mødesalen har teleslynge og stole med armlæn."
        ),
    ),
    "randers": services.VenueDetails(
        name="Sundhedshuset Randers",
        address="Laksetorvet 1, 8900 Randers C",
        accessibility_notes=(
            "Indgang med automatisk dør og rampe. Handicaptoilet på samme etage. "
            "Tæt på busstationen."
        ),
    ),
    "online": services.VenueDetails(
        name="Online (videomøde)",
        is_online=True,
        meeting_link="https://meet.recovery-college.example/demo",
        accessibility_notes=(
            "Du kan være med uden kamera. Mødet har automatiske undertekster, "
            "og du kan skrive i chatten i stedet for at tale."
        ),
    ),
}

PARTNERS = {
    "region": ("Region Midtjylland", PartnerKind.REGION),
    "aarhus": ("Aarhus Kommune", PartnerKind.MUNICIPALITY),
    "silkeborg": ("Silkeborg Kommune", PartnerKind.MUNICIPALITY),
    "randers": ("Randers Kommune", PartnerKind.MUNICIPALITY),
    "relatives": ("Pårørendeforeningen Østjylland", PartnerKind.ASSOCIATION),
}

COURSES = [
    DemoCourse(
        title="Angst og depression – at forstå og mestre",
        summary="Hvad sker der i krop og tanker, når angsten eller mørket tager over – "
        "og hvad kan hjælpe i hverdagen?",
        description=(
            "Kurset giver viden om angst og depression fra to sider: fra forskningen og fra "
            "dem, der selv har levet med det. Vi taler om tegn, tanker og kroppens reaktioner, "
            "og om hvad der kan gøre en forskel.\n\n"
            "Du deler kun det, du selv har lyst til. Du behøver ingen diagnose for at være med."
        ),
        outcomes=(
            "Forstå hvordan angst og depression påvirker krop, tanker og handlinger\n"
            "Kende redskaber til at håndtere svære dage\n"
            "Lave din egen plan for, hvad der hjælper dig"
        ),
        topic=Topic.MENTAL_HEALTH,
        audience=Audience.EVERYONE,
        format=CourseFormat.IN_PERSON,
        capacity=16,
        programme=Programme.FIVE_DAY,
        next_term=False,
        start_week=-3,
        venue="skolegade",
        partners=("region", "aarhus"),
        weekday=1,
        start=time(17, 0),
        minutes=150,
        count=8,
        peer=0,
        trainer=0,
    ),
    DemoCourse(
        title="Mindfulness i hverdagen",
        summary="Enkle øvelser i nærvær, som du kan bruge derhjemme, på bussen og på arbejdet.",
        description=(
            "Vi øver os i at lægge mærke til åndedrættet, kroppen og tankerne uden at dømme "
            "dem. Hver gang prøver vi en ny øvelse og taler om, hvordan den virkede.\n\n"
            "Kurset kræver ingen forudsætninger. Du kan sidde på en stol under alle øvelser."
        ),
        outcomes=("Kende fem korte øvelser i nærvær\nFinde en rytme, der passer til din hverdag"),
        topic=Topic.WELLBEING,
        audience=Audience.EVERYONE,
        format=CourseFormat.IN_PERSON,
        capacity=14,
        programme=Programme.FIVE_DAY,
        next_term=False,
        start_week=1,
        venue="silkeborg",
        partners=("region", "silkeborg"),
        weekday=2,
        start=time(10, 0),
        minutes=120,
        count=6,
        peer=2,
        trainer=1,
    ),
    DemoCourse(
        title="Stress og sårbarhed",
        summary="Om pres, grænser og sårbarhed – og om at passe på sig selv uden at trække "
        "sig fra livet.",
        description=(
            "Alle kender til stress, men vi reagerer forskelligt. På kurset ser vi på, hvad der "
            "stresser dig, hvordan du mærker det, og hvad du kan gøre tidligt.\n\n"
            "Kurset foregår skiftevis i lokalet og online, så du kan deltage hjemmefra nogle gange."
        ),
        outcomes=(
            "Genkende dine egne tegn på stress\nSige fra på en måde, der virker for dig\n"
            "Lave en plan for pauser og restitution"
        ),
        topic=Topic.WELLBEING,
        audience=Audience.EVERYONE,
        format=CourseFormat.BLENDED,
        capacity=20,
        programme=Programme.FIVE_DAY,
        next_term=False,
        start_week=-2,
        venue="skolegade",
        partners=("aarhus",),
        weekday=3,
        start=time(13, 0),
        minutes=120,
        count=6,
        peer=0,
        trainer=2,
    ),
    DemoCourse(
        title="Hverdagsøkonomi – overblik uden skam",
        summary="Budget, regninger og gæld: få overblik i et trygt rum, hvor ingen dømmer.",
        description=(
            "Mange, der har været syge i en periode, får også problemer med økonomien. Vi "
            "laver et enkelt budget, ser på hvor man kan få råd og hjælp, og taler om skammen, "
            "der tit følger med.\n\n"
            "Kurset foregår online om aftenen, så du kan være med hjemmefra."
        ),
        outcomes=(
            "Lave et budget, du kan holde\nVide hvor du kan få gratis råd om gæld og ydelser"
        ),
        topic=Topic.PRACTICAL,
        audience=Audience.EVERYONE,
        format=CourseFormat.ONLINE,
        capacity=25,
        programme=Programme.FIVE_DAY,
        next_term=False,
        start_week=1,
        venue="online",
        partners=("aarhus",),
        weekday=0,
        start=time(18, 30),
        minutes=90,
        count=5,
        peer=4,
        trainer=3,
    ),
    DemoCourse(
        title="At være pårørende",
        summary="For dig, der står tæt på et menneske med psykisk sygdom. Om at støtte uden "
        "at miste dig selv.",
        description=(
            "Som pårørende står man ofte med mange følelser og få svar. Kurset giver viden om "
            "psykisk sygdom og recovery, og plads til at dele erfaringer med andre pårørende.\n\n"
            "Kurset er for pårørende. Det er også for dig, der ikke er familie, men står tæt på."
        ),
        outcomes=(
            "Forstå hvad recovery betyder for den, du er pårørende til\n"
            "Kende dine egne grænser og behov\nVide hvor pårørende kan få støtte"
        ),
        topic=Topic.RELATIONSHIPS,
        audience=Audience.RELATIVES,
        format=CourseFormat.IN_PERSON,
        capacity=18,
        programme=Programme.FIVE_WEEK,
        next_term=False,
        start_week=2,
        venue="randers",
        partners=("relatives", "randers"),
        weekday=0,
        start=time(17, 0),
        minutes=150,
        count=6,
        peer=1,
        trainer=0,
    ),
    DemoCourse(
        title="At høre stemmer",
        summary="Et kursus om at leve med stemmer og andre usædvanlige oplevelser, og om at "
        "finde sin egen vej.",
        description=(
            "Mange mennesker hører stemmer. Vi ser på forskellige måder at forstå stemmerne på, "
            "og deler erfaringer med, hvad der kan gøre dem lettere at leve med.\n\n"
            "Peer-underviseren har selv erfaring med at høre stemmer."
        ),
        outcomes=(
            "Kende forskellige forklaringer på stemmehøring\n"
            "Afprøve måder at tale med og om stemmerne på"
        ),
        topic=Topic.MENTAL_HEALTH,
        audience=Audience.EVERYONE,
        format=CourseFormat.IN_PERSON,
        capacity=12,
        programme=Programme.FIVE_WEEK,
        next_term=True,
        start_week=1,
        venue="skolegade",
        partners=("region",),
        weekday=1,
        start=time(13, 0),
        minutes=150,
        count=8,
        peer=0,
        trainer=4,
    ),
    DemoCourse(
        title="Kreativitet og recovery",
        summary="Tegn, skriv og form – ingen erfaring nødvendig. Kreativitet som vej til ro og "
        "mening.",
        description=(
            "Vi arbejder med enkle kreative metoder: collage, skrivning og ler. Det handler ikke "
            "om at blive god, men om at bruge hænderne og finde nye måder at udtrykke sig på.\n\n"
            "Alle materialer er med. Tag gerne tøj på, der må blive beskidt."
        ),
        outcomes=("Prøve tre kreative metoder\nFinde ud af, hvad der giver dig ro og glæde"),
        topic=Topic.CREATIVITY,
        audience=Audience.EVERYONE,
        format=CourseFormat.IN_PERSON,
        capacity=12,
        programme=Programme.FIVE_DAY,
        next_term=True,
        start_week=1,
        venue="silkeborg",
        partners=("silkeborg",),
        weekday=3,
        start=time(10, 0),
        minutes=180,
        count=6,
        peer=6,
        trainer=5,
    ),
    DemoCourse(
        title="God søvn",
        summary="Når natten bliver lang: viden og gode vaner, der kan give bedre søvn.",
        description=(
            "Søvnproblemer hænger ofte sammen med psykisk mistrivsel. Vi ser på, hvad søvn er, "
            "hvad der forstyrrer den, og hvad du selv kan prøve.\n\n"
            "Kurset er online om aftenen og varer en time og et kvarter."
        ),
        outcomes=("Forstå søvnens rytme\nLave din egen plan for bedre nætter"),
        topic=Topic.WELLBEING,
        audience=Audience.EVERYONE,
        format=CourseFormat.ONLINE,
        capacity=30,
        programme=Programme.FIVE_DAY,
        next_term=True,
        start_week=2,
        venue="online",
        partners=("region",),
        weekday=2,
        start=time(19, 0),
        minutes=75,
        count=4,
        peer=8,
        trainer=0,
    ),
    DemoCourse(
        title="Recovery – hvad er det?",
        summary="En introduktion til recovery: håb, forbundethed, identitet, mening og "
        "handlekraft.",
        description=(
            "Recovery handler om at leve et meningsfuldt liv med eller uden symptomer. Vi taler "
            "om, hvad der fremmer recovery, og om hvordan man selv kan tage de første skridt.\n\n"
            "Et godt første kursus, hvis du er ny på Recovery College."
        ),
        outcomes=("Kende de fem elementer i recovery (CHIME)\nSætte ord på din egen vej"),
        topic=Topic.RECOVERY,
        audience=Audience.EVERYONE,
        format=CourseFormat.IN_PERSON,
        capacity=20,
        programme=Programme.FIVE_DAY,
        next_term=True,
        start_week=0,
        venue="skolegade",
        partners=("region", "aarhus", "relatives"),
        weekday=0,
        start=time(10, 0),
        minutes=120,
        count=4,
        peer=3,
        trainer=6,
    ),
    DemoCourse(
        title="Samskabelse i praksis",
        summary="For medarbejdere og peers: sådan planlægger og underviser man sammen, som "
        "ligeværdige.",
        description=(
            "Kurset er for fagfolk og peer-medarbejdere, der vil arbejde med samskabelse. Vi "
            "øver os i at planlægge, undervise og evaluere sammen, og ser på faldgruberne.\n\n"
            "Kurset veksler mellem dage i lokalet og korte online-møder."
        ),
        outcomes=(
            "Planlægge et kursus sammen med en kollega fra den anden verden\n"
            "Give og modtage feedback som ligeværdige"
        ),
        topic=Topic.RECOVERY,
        audience=Audience.STAFF,
        format=CourseFormat.BLENDED,
        capacity=24,
        programme=Programme.FIVE_WEEK,
        next_term=True,
        start_week=3,
        venue="skolegade",
        partners=("region", "aarhus", "silkeborg", "randers"),
        weekday=4,
        start=time(9, 0),
        minutes=180,
        count=3,
        peer=5,
        trainer=7,
    ),
]


def term_name(starts_on: date) -> str:
    year = starts_on.year + (1 if starts_on.month == 12 else 0)
    return f"{SEASONS[starts_on.month]} {year}"


def create_terms(admin: User, today: date) -> tuple[Term, Term]:
    """The term under way and the one after it, with enrolment open for both."""
    current_start = today - timedelta(days=35)
    current_end = today + timedelta(days=63)
    next_start = current_end + timedelta(days=21)
    current = services.create_term(
        admin,
        services.TermDetails(
            name=term_name(current_start),
            starts_on=current_start,
            ends_on=current_end,
            enrolment_opens_at=to_utc(current_start - timedelta(days=42), time(9)),
            enrolment_closes_at=to_utc(current_end, time(23, 59)),
        ),
    )
    coming = services.create_term(
        admin,
        services.TermDetails(
            name=term_name(next_start),
            starts_on=next_start,
            ends_on=next_start + timedelta(weeks=16),
            enrolment_opens_at=to_utc(today - timedelta(days=7), time(9)),
            enrolment_closes_at=to_utc(next_start + timedelta(weeks=16), time(23, 59)),
        ),
    )
    return current, coming


def first_weekday(after: date, weekday: int) -> date:
    return after + timedelta(days=(weekday - after.weekday()) % 7)


def seed(college: DemoCollege) -> None:
    """Add the demo courses to the demo college."""
    admin = college.admin
    current, coming = create_terms(admin, college.today)
    venues: dict[str, Venue] = {
        key: services.create_venue(admin, details) for key, details in VENUES.items()
    }
    partners: dict[str, Partner] = {
        key: services.create_partner(admin, name, kind) for key, (name, kind) in PARTNERS.items()
    }
    for demo in COURSES:
        term = coming if demo.next_term else current
        course = services.create_course(
            admin,
            services.CourseDetails(
                title=demo.title,
                summary=demo.summary,
                description=demo.description,
                learning_outcomes=demo.outcomes,
                topic=demo.topic,
                audience=demo.audience,
                format=demo.format,
                capacity=demo.capacity,
                required_programme=demo.programme,
                term=term,
                venue=venues[demo.venue],
                partners=[partners[key] for key in demo.partners],
            ),
        )
        services.set_course_pair(
            admin, course, college.peers[demo.peer], college.trainers[demo.trainer]
        )
        anchor = term.starts_on if demo.next_term else college.today
        first = first_weekday(anchor + timedelta(weeks=demo.start_week), demo.weekday)
        services.add_weekly_series(admin, course, first, demo.start, demo.minutes, demo.count)
        services.publish_course(admin, course)
