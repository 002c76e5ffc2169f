"""The court lexicon: one concept, its words in English, Russian and Kazakh. Pure data.

A keyword term that belongs to a concept brings the concept's words in the
other languages (and scripts) with it, unless its entry says `exact: true`:
a user who writes `verdict` wants `приговор`, `үкім` and `ükım` too. Each word
also finds its family (`matchers.families`): `convicted` → conviction.

`context` lists phrases in which a word of the concept means something else
(a free trial, an appeal to voters, hearing aids, a delayed flight): a
keyword occurrence inside one of them scores below the alert line.

Sources: the wording of Kazakh and Russian court reporting (Criminal
Procedure Code terms: приговор/үкім, оправдательный приговор/ақтау үкімі,
апелляция/апелляциялық шағым, кассация, мера пресечения/бұлтартпау шарасы,
задержание/ұстау, обвинение/айып, прокурор/прокурор, пытки/азаптау), and the
Kazakh Latin spellings of 2021 (ä ğ q ñ ö ū ü ı) and of passports (gh, q, y).
"""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Concept:
    """One court concept: words per language and the phrases that change its sense."""

    id: str
    en: tuple[str, ...]
    ru: tuple[str, ...]
    kk: tuple[str, ...]  # Kazakh, Cyrillic
    kk_latin: tuple[str, ...]  # Kazakh, Latin (2021 and passport-style spellings)
    context: tuple[str, ...] = ()

    @property
    def words(self) -> tuple[str, ...]:
        return (*self.en, *self.ru, *self.kk, *self.kk_latin)


def _t(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(";") if part.strip())


CONCEPTS: tuple[Concept, ...] = (
    Concept(
        "verdict",
        _t(
            "verdict; sentence; sentenced; convicted; conviction; found guilty; jailed; prison term"
        ),
        _t(
            "приговор; приговорен; осужден; осудил; признан виновным; признал виновным; "
            "лишения свободы"
        ),
        _t("үкім; сотталды; сотталған; кесілді; кінәлі деп танылды; бас бостандығынан айыру"),
        _t("ükım; ükim; ukim; sottaldy; kınälı dep tanyldy; bas bostandyğynan aiyru"),
        _t(
            "first sentence; opening sentence; sentence structure; in one sentence; "
            "complete sentence; critics' verdict; voters' verdict; verdict of history; "
            "приговор истории; осудил теракт; осудил нападение; осудили нападение; "
            "осудил заявление; осудили заявление"
        ),
    ),
    Concept(
        "acquittal",
        _t("acquitted; acquittal; cleared of all charges"),
        _t("оправдан; оправдательный приговор; оправдал"),
        _t("ақталды; ақтау үкімі; ақтады"),
        _t("aqtaldy; aqtau ükımı; aktaldy"),
    ),
    Concept(
        "appeal",
        _t("appeal; appealed; appeals court; cassation"),
        _t("апелляция; обжаловал; обжалование; кассация"),
        _t("апелляциялық шағым; апелляция; кассация; шағымданды"),
        _t("apelläsiä; apellyatsiya; kassatsiya; şağymdandy; shagymdandy"),
        _t(
            "appeal to voters; appeal to the public; appeal for calm; appeal for help; "
            "appealed to the public; appealed for calm; sex appeal; mass appeal; broad appeal; "
            "wide appeal; popular appeal; appealing to voters"
        ),
    ),
    Concept(
        "trial",
        _t("trial; court hearing; stood trial; on trial"),
        _t("судебный процесс; судебное заседание; заседание суда"),
        _t("сот процесі; сот отырысы"),
        _t("sot procesı; sot otyrysy; sot protsesi"),
        _t(
            "clinical trial; drug trial; vaccine trial; free trial; trial version; "
            "trial period; trial run; trial and error; time trial; field trial; pilot trial; "
            "trial balloon; trial subscription; hearing aid; hearing loss; hard of hearing"
        ),
    ),
    Concept(
        "detention",
        _t("detained; detention; arrested; arrest; taken into custody"),
        _t("задержан; задержание; арестован; арест; под стражу; под стражей"),
        _t("ұсталды; ұстады; қамауға алынды; қамауда; қамау"),
        _t("ustaldy; qamauğa alyndy; qamauda; kamauga alyndy"),
        _t(
            "cardiac arrest; heart arrest; рейс задержан; задержан рейс; задержали рейс; "
            "вылет задержан; задержали вылет; поезд задержан; задержана выплата"
        ),
    ),
    Concept(
        "torture",
        _t("torture; tortured"),
        _t("пытки; пытали; пытка"),
        _t("азаптау; азаптады; азаптаған"),
        _t("azaptau; azaptady"),
    ),
    Concept(
        "charge",
        _t("charged; indicted; indictment"),
        _t("обвинение; обвинил; обвиняемый"),
        _t("айып тағылды; айыпталды; айыпталушы"),
        _t("aiyp tağyldy; aiyptaldy; aiyptaluşy; aiyptalushy"),
        _t(
            "free of charge; in charge; charging station; service charge; battery charge; "
            "took charge; charge d'affaires; charged with electricity"
        ),
    ),
    Concept(
        "prosecutor",
        _t("prosecutor; prosecution; prosecuted"),
        _t("прокурор; прокуратура; обвинитель"),
        _t("прокурор; прокуратура; айыптаушы"),
        _t("prokuror; prokuratura; aiyptauşy"),
    ),
)

# Words that put a person in another field (sport, stage, screen): a watched name in a
# sentence with one of these and no court word is likely a namesake (scored below the line).
OTHER_FIELD = _t(
    "footballer; striker; midfielder; goalkeeper; boxer; wrestler; weightlifter; athlete; "
    "Olympic champion; world champion; actor; actress; singer; pop star; film director; "
    "футболист; нападающий; полузащитник; вратарь; боксёр; боксер; борец; тяжелоатлет; "
    "спортсмен; олимпийский чемпион; чемпион мира; актёр; актер; актриса; певец; певица; "
    "кинорежиссёр; футболшы; боксшы; балуан; спортшы; олимпиада чемпионы; әлем чемпионы; "
    "әнші; актриса; кинорежиссер; futbolşy; boksşy; balūan; änşı"
)
