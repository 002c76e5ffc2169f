"""People's names: which word is the surname, and which words are given names.

Pure data and functions. The given-name list lets the matcher tell "Dmitry
Isaev" (someone else) from "Isaev" alone; it is a list of common given names
in Kazakhstan and Central Asia, in one spelling each: skeletons make the other
spellings and scripts equal (Ruslan = Руслан, Shyngys = Шыңғыс).
"""

from dataclasses import dataclass

from matchers.forms import KAZAKH_SKELETON_REMS, MAX_KAZAKH_REM
from matchers.normalize import skeleton, tokenize

GIVEN_NAMES = """
Abai Abdulla Abylai Adil Adilet Adilbek Aibek Aibol Aidar Aidos Aidyn Aigerim Aigul Aida
Aisulu Aizhan Akbota Akezhan Akmaral Akylbek Alibek Alikhan Alisher Almas Almaz Almat Altynbek
Alua Aliya Amir Amirkhan Anar Anara Anuar Arman Arailym Ardak Arystan Askar Askhat Assel
Aslan Asylbek Ayan Azamat Aziz Bakhyt Bakhytzhan Bauyrzhan Bekzat Berik Bolat Bota Daniyar
Daulet Dauren Dana Darkhan Dariga Dias Dilnaz Dina Dinara Duman Erbol Erkin Erlan Ermek
Erzhan Galym Gaukhar Gulmira Gulnar Gulnara Gulzhan Ilyas Indira Kairat Kaisar Kalybek Kanat
Karim Kassym Kazbek Kazybek Kuandyk Kuanysh Kurmangazy Lazzat Madi Makhambet Malika Marat
Mariam Maksat Medet Meiram Mukhtar Murat Nazym Nurlan Nurbek Nurgul Nurzhan Nursultan
Olzhas Omar Orynbasar Raushan Rustam Rinat Sabina Saltanat Samal Sanzhar Saule Serik
Serikzhan Shokan Shyngys Symbat Talgat Tamerlan Temirlan Timur Togzhan Tokhtar Ulan Ulzhan
Yerbol Yerzhan Yesset Zarina Zhandos Zhanbolat Zhanna Zhannur Zhasulan Zhibek Zhuldyz
Zhaksylyk Zhomart Zulfiya
Aleksandr Aleksei Alexander Alexey Alexandra Alla Anastasia Anatoly Andrei Andrey Anna Anton
Artem Artur Boris Daria Denis Dmitry Dmitri Elena Evgeny Evgenia Galina Gennady Georgy Grigory
Igor Ilya Inna Irina Ivan Kirill Konstantin Ksenia Larisa Leonid Lyudmila Maksim Maxim
Marina Maria Mikhail Natalia Nadezhda Nikita Nikolai Nina Oksana Oleg Olga Pavel Petr Pyotr
Roman Ruslan Sergei Sergey Stanislav Svetlana Tatiana Valentina Valery Vadim Viktor Viktoria
Vitaly Vladimir Vladislav Vyacheslav Yulia Yury Yuri Zinaida
Abdulaziz Akmal Aziza Bakhtiyor Bobur Dilshod Farhod Jamshid Jasur Nodira Rustam Sardor
Shavkat Sherzod Ulugbek Umid Azamat Almazbek Bakyt Chingiz Emil Kamila Maksatbek Sadyr Tilek
Vikram David Michael John James Peter Paul Mary Sarah
"""


@dataclass(frozen=True, slots=True)
class NameParts:
    """A person's name split into given names and surname."""

    given: tuple[str, ...]
    surname: str


_SURNAME_ENDINGS = ("ov", "ev", "ova", "eva", "in", "ina", "uli", "kizi", "ski", "skii",
                    "ska", "enko", "ian", "dze", "Svili", "baev", "baeva")  # fmt: skip
_GIVEN_SKELETONS = frozenset(skeleton(n) for n in GIVEN_NAMES.split())


# A given name next to a surname is usually inflected too (Руслана, Ruslanğa).
_ENDINGS = KAZAKH_SKELETON_REMS | {"a", "u", "om", "em", "im", "e", "i", "s", "ov", "oi"}


def is_known_given_name(word: str) -> bool:
    """A common given name, in any case form (Руслана, Ruslanğa)."""
    key = skeleton(word)
    return any(
        key[:cut] in _GIVEN_SKELETONS and key[cut:] in _ENDINGS
        for cut in range(len(key), max(2, len(key) - MAX_KAZAKH_REM) - 1, -1)
    )


def looks_like_surname(word: str) -> bool:
    return skeleton(word).endswith(_SURNAME_ENDINGS) and not is_known_given_name(word)


def split_name(name: str, surname: str | None = None) -> NameParts:
    """Guess the surname: the one given, else the word that looks like one
    (-ov, -eva, -uly …, not a known given name), else the last word."""
    parts = [t.text for t in tokenize(name)]
    if not parts:
        return NameParts((), "")
    if surname:
        wanted = skeleton(surname)
        chosen = next((p for p in parts if skeleton(p) == wanted), surname)
    elif len(parts) == 1:
        chosen = parts[0]
    elif looks_like_surname(parts[-1]) or not looks_like_surname(parts[0]):
        chosen = parts[-1]
        if is_known_given_name(chosen) and not is_known_given_name(parts[0]):
            chosen = parts[0]  # "Тлеужан Айгерим": the known given name is not the surname
    else:
        chosen = parts[0]
    given = tuple(p for p in parts if p != chosen and not _is_patronymic(p))
    return NameParts(given, chosen)


def _is_patronymic(word: str) -> bool:
    return skeleton(word).endswith(("oviC", "eviC", "ovna", "evna")) and len(word) > 6
