# ruff: noqa: RUF001 - Cyrillic letters that look Latin are the point of this file
"""The tracking page's words in Russian, Bulgarian and Romanian (English is in
:mod:`.plain_words`); keys are the same codes, so a missing one falls back to English."""

from __future__ import annotations

STATUS: dict[str, dict[str, str]] = {
    "ru": {
        "created": "Отправитель зарегистрировал вашу посылку; мы её ещё не получили.",
        "at_depot": "Ваша посылка на нашем складе.",
        "out_for_delivery": "Ваша посылка передана курьеру для доставки.",
        "delivered": "Ваша посылка доставлена.",
        "attempt_failed": "Нам не удалось доставить посылку; мы попробуем ещё раз.",
        "on_hold": "Посылка задержана: мы ждём указаний отправителя.",
        "returning_to_origin": "Посылка возвращается отправителю.",
        "returned_to_origin": "Посылка возвращена отправителю.",
        "lost": "Мы не можем найти вашу посылку; отправитель уведомлён.",
        "cancelled": "Отправитель отменил доставку.",
        "": "Ваша посылка в пути.",
    },
    "bg": {
        "created": "Подателят обяви вашата пратка; все още не сме я получили.",
        "at_depot": "Вашата пратка е в нашия склад.",
        "out_for_delivery": "Вашата пратка е предадена на куриер за доставка.",
        "delivered": "Вашата пратка е доставена.",
        "attempt_failed": "Не успяхме да доставим пратката; ще опитаме отново.",
        "on_hold": "Пратката е задържана, докато чакаме указания от подателя.",
        "returning_to_origin": "Пратката се връща към подателя.",
        "returned_to_origin": "Пратката е върната на подателя.",
        "lost": "Не можем да открием пратката ви; подателят е уведомен.",
        "cancelled": "Подателят отмени доставката.",
        "": "Пратката ви е на път.",
    },
    "ro": {
        "created": "Expeditorul a anunțat coletul dumneavoastră; încă nu l-am primit.",
        "at_depot": "Coletul dumneavoastră este în depozitul nostru.",
        "out_for_delivery": "Coletul dumneavoastră este în curs de livrare.",
        "delivered": "Coletul dumneavoastră a fost livrat.",
        "attempt_failed": "Nu am putut livra coletul; vom încerca din nou.",
        "on_hold": "Coletul este reținut până primim instrucțiuni de la expeditor.",
        "returning_to_origin": "Coletul se întoarce la expeditor.",
        "returned_to_origin": "Coletul a fost returnat expeditorului.",
        "lost": "Nu putem localiza coletul; expeditorul a fost informat.",
        "cancelled": "Expeditorul a anulat livrarea.",
        "": "Coletul este pe drum.",
    },
}

FAILURE: dict[str, dict[str, str]] = {
    "ru": {
        "not_home": "никого не было дома",
        "no_access": "курьер не смог попасть к двери",
        "cash_not_ready": "сумма к оплате при получении не была подготовлена",
        "vehicle_full": "машина была заполнена; посылка поедет следующим рейсом",
        "missorted": "посылка попала не на тот маршрут",
        "address_incomplete": "адрес неполный; мы запросили отправителя",
        "new_date_requested": "запрошена новая дата доставки",
        "cod_amount_disputed": "сумма к оплате оспорена; мы запросили отправителя",
        "refused": "от посылки отказались; она возвращается отправителю",
        "damaged": "посылка повреждена; она возвращается отправителю",
        "attempts_exhausted": "все попытки доставки исчерпаны; посылка возвращается отправителю",
    },
    "bg": {
        "not_home": "нямаше никой вкъщи",
        "no_access": "куриерът не можа да стигне до вратата",
        "cash_not_ready": "сумата за плащане при доставка не беше готова",
        "vehicle_full": "колата беше пълна; пратката тръгва със следващия курс",
        "missorted": "пратката беше сортирана в грешен маршрут",
        "address_incomplete": "адресът е непълен; попитахме подателя",
        "new_date_requested": "поискана е нова дата за доставка",
        "cod_amount_disputed": "сумата за плащане беше оспорена; попитахме подателя",
        "refused": "пратката беше отказана; връща се към подателя",
        "damaged": "пратката е повредена; връща се към подателя",
        "attempts_exhausted": (
            "всички опити за доставка са изчерпани; пратката се връща към подателя"
        ),
    },
    "ro": {
        "not_home": "nu era nimeni acasă",
        "no_access": "curierul nu a putut ajunge la ușă",
        "cash_not_ready": "suma de plată la livrare nu era pregătită",
        "vehicle_full": "mașina era plină; coletul pleacă la următoarea cursă",
        "missorted": "coletul a fost sortat pe o rută greșită",
        "address_incomplete": "adresa este incompletă; l-am întrebat pe expeditor",
        "new_date_requested": "s-a cerut o nouă dată de livrare",
        "cod_amount_disputed": "suma de plată a fost contestată; l-am întrebat pe expeditor",
        "refused": "coletul a fost refuzat; se întoarce la expeditor",
        "damaged": "coletul este deteriorat; se întoarce la expeditor",
        "attempts_exhausted": (
            "toate încercările de livrare au fost epuizate; coletul se întoarce la expeditor"
        ),
    },
}

RELATION: dict[str, dict[str, str]] = {
    "ru": {
        "self": "Вручено получателю.",
        "neighbour": "Передано соседу.",
        "safe_place": "Оставлено в безопасном месте.",
    },
    "bg": {
        "self": "Доставена на получателя.",
        "neighbour": "Оставена при съсед.",
        "safe_place": "Оставена на сигурно място.",
    },
    "ro": {
        "self": "Predat destinatarului.",
        "neighbour": "Predat unui vecin.",
        "safe_place": "Lăsat într-un loc sigur.",
    },
}

# history lines by event type; "attempt_failed" takes {reason}, "attempt_failed_bare" none
EVENT: dict[str, dict[str, str]] = {
    "ru": {
        "created": "Отправитель зарегистрировал посылку.",
        "received_at_depot": "Посылка прибыла на наш склад.",
        "out_for_delivery": "Посылка передана курьеру.",
        "cod_collected": "Оплата получена при доставке.",
        "returned_to_origin": "Посылка возвращена отправителю.",
        "marked_lost": "Мы не можем найти посылку; отправитель уведомлён.",
        "cancelled": "Отправитель отменил доставку.",
        "delivered": "Посылка доставлена.",
        "attempt_failed": "Попытка доставки не удалась: {reason}.",
        "attempt_failed_bare": "Попытка доставки не удалась.",
        "decision_return": "Отправитель попросил вернуть посылку.",
        "decision_retry": "Отправитель попросил повторить доставку.",
    },
    "bg": {
        "created": "Подателят обяви пратката.",
        "received_at_depot": "Пратката пристигна в нашия склад.",
        "out_for_delivery": "Пратката е предадена на куриер.",
        "cod_collected": "Плащането е получено при доставката.",
        "returned_to_origin": "Пратката е върната на подателя.",
        "marked_lost": "Не можем да открием пратката; подателят е уведомен.",
        "cancelled": "Подателят отмени доставката.",
        "delivered": "Пратката е доставена.",
        "attempt_failed": "Неуспешен опит за доставка: {reason}.",
        "attempt_failed_bare": "Неуспешен опит за доставка.",
        "decision_return": "Подателят поиска пратката да бъде върната.",
        "decision_retry": "Подателят поиска нов опит за доставка.",
    },
    "ro": {
        "created": "Expeditorul a anunțat coletul.",
        "received_at_depot": "Coletul a ajuns în depozitul nostru.",
        "out_for_delivery": "Coletul a plecat spre livrare.",
        "cod_collected": "Plata a fost încasată la ușă.",
        "returned_to_origin": "Coletul a fost returnat expeditorului.",
        "marked_lost": "Nu putem localiza coletul; expeditorul a fost informat.",
        "cancelled": "Expeditorul a anulat livrarea.",
        "delivered": "Coletul a fost livrat.",
        "attempt_failed": "Încercare de livrare eșuată: {reason}.",
        "attempt_failed_bare": "Încercare de livrare eșuată.",
        "decision_return": "Expeditorul ne-a cerut să returnăm coletul.",
        "decision_retry": "Expeditorul ne-a cerut să încercăm din nou.",
    },
}

# the page's own words; {number}, {start}, {end}, {zone} are filled in
PAGE: dict[str, dict[str, str]] = {
    "en": {
        "title": "Parcel {number}",
        "slot": "Delivery slot",
        "city": "Delivery city",
        "history": "History",
        "zone": "Times are in {zone} time.",
        "between": "between {start} and {end}",
        "from": "from {start}",
        "by": "by {end}",
        "missing_title": "Parcel not found",
        "missing": "We have no parcel with tracking number {number}. Check the number.",
        "hint": "A tracking number looks like PS123456785NL: "
        "two letters, nine digits, two letters.",
    },
    "ru": {
        "title": "Посылка {number}",
        "slot": "Время доставки",
        "city": "Город доставки",
        "history": "История",
        "zone": "Время указано по часовому поясу {zone}.",
        "between": "с {start} до {end}",
        "from": "с {start}",
        "by": "до {end}",
        "missing_title": "Посылка не найдена",
        "missing": "У нас нет посылки с номером {number}. Проверьте номер.",
        "hint": "Номер отслеживания выглядит так: PS123456785NL — "
        "две буквы, девять цифр, две буквы.",
    },
    "bg": {
        "title": "Пратка {number}",
        "slot": "Час за доставка",
        "city": "Град за доставка",
        "history": "История",
        "zone": "Часовете са по часовата зона {zone}.",
        "between": "между {start} и {end}",
        "from": "след {start}",
        "by": "до {end}",
        "missing_title": "Пратката не е намерена",
        "missing": "Нямаме пратка с номер {number}. Проверете номера.",
        "hint": "Номерът за проследяване изглежда така: PS123456785NL — "
        "две букви, девет цифри, две букви.",
    },
    "ro": {
        "title": "Colet {number}",
        "slot": "Interval de livrare",
        "city": "Localitatea de livrare",
        "history": "Istoric",
        "zone": "Orele sunt în fusul orar {zone}.",
        "between": "între {start} și {end}",
        "from": "de la {start}",
        "by": "până la {end}",
        "missing_title": "Coletul nu a fost găsit",
        "missing": "Nu avem niciun colet cu numărul {number}. Verificați numărul.",
        "hint": "Un număr de urmărire arată așa: PS123456785NL — "
        "două litere, nouă cifre, două litere.",
    },
}
