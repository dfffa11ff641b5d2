//! Translations of the example campaign's petitions (see `example`) into
//! the other official UN languages. Machine-assisted; to be checked by
//! native speakers before a real campaign relies on them.

pub struct ExampleTranslation {
    pub slug: &'static str,
    pub lang: &'static str,
    pub title: &'static str,
    pub addressee: &'static str,
    pub body: &'static str,
}

pub const TRANSLATIONS: &[ExampleTranslation] = &[
    ExampleTranslation {
        slug: "release-the-xinjiang-report",
        lang: "fr",
        title: "Publiez sans attendre le rapport sur le Xinjiang",
        addressee: "Haut-Commissaire des Nations Unies aux droits de l’homme",
        body: "Nous demandons au Haut-Commissaire des Nations Unies aux droits de l’homme de publier, sans plus tarder, l’évaluation par le Haut-Commissariat de la situation des droits de l’homme dans la région autonome ouïghoure du Xinjiang, en Chine.

Le Haut-Commissariat recueille des éléments de preuve depuis des années. Des survivants, des familles de personnes détenues et des défenseurs des droits de l’homme ont témoigné en prenant de grands risques personnels. Chaque mois où le rapport reste inédit, celles et ceux qui ont pris la parole demeurent sans réponse, et les responsables échappent à tout examen.

L’Organisation des Nations Unies existe pour dénoncer clairement les violations graves, quels qu’en soient les auteurs. Publiez le rapport dans son intégralité, présentez-le au Conseil des droits de l’homme et exposez les mesures que le Haut-Commissariat prendra ensuite.",
    },
    ExampleTranslation {
        slug: "release-the-xinjiang-report",
        lang: "es",
        title: "Publique ya el informe sobre Xinjiang",
        addressee: "Alto Comisionado de las Naciones Unidas para los Derechos Humanos",
        body: "Instamos al Alto Comisionado de las Naciones Unidas para los Derechos Humanos a que publique, sin más demora, la evaluación de la Oficina sobre la situación de los derechos humanos en la Región Autónoma Uigur de Xinjiang (China).

La Oficina lleva años reuniendo pruebas. Supervivientes, familiares de personas detenidas y defensores de los derechos humanos han prestado testimonio asumiendo un gran riesgo personal. Cada mes que el informe sigue sin publicarse, quienes alzaron la voz se quedan sin respuesta y los responsables escapan a todo escrutinio.

Las Naciones Unidas existen para denunciar con claridad las violaciones graves, las cometa quien las cometa. Publique el informe íntegro, preséntelo al Consejo de Derechos Humanos y exponga las medidas que la Oficina adoptará a continuación.",
    },
    ExampleTranslation {
        slug: "release-the-xinjiang-report",
        lang: "ru",
        title: "Немедленно опубликуйте доклад о Синьцзяне",
        addressee: "Верховный комиссар ООН по правам человека",
        body: "Мы призываем Верховного комиссара ООН по правам человека без дальнейшего промедления опубликовать подготовленную Управлением оценку положения в области прав человека в Синьцзян-Уйгурском автономном районе Китая.

Управление собирает доказательства уже много лет. Выжившие, родственники задержанных и правозащитники давали показания, подвергая себя большому личному риску. Каждый месяц, пока доклад остаётся неопубликованным, те, кто решился заговорить, остаются без ответа, а виновные — вне всякого контроля.

Организация Объединённых Наций существует для того, чтобы открыто говорить о серьёзных нарушениях, кто бы их ни совершал. Опубликуйте доклад полностью, представьте его Совету по правам человека и изложите, какие дальнейшие шаги предпримет Управление.",
    },
    ExampleTranslation {
        slug: "release-the-xinjiang-report",
        lang: "zh",
        title: "立即公布关于新疆的报告",
        addressee: "联合国人权事务高级专员",
        body: "我们呼吁联合国人权事务高级专员不再拖延，公布人权高专办对中国新疆维吾尔自治区人权状况的评估。

人权高专办多年来一直在收集证据。幸存者、被拘留者的家属和人权维护者冒着巨大的个人风险提供了证词。报告每拖延一个月不公布，勇于发声的人就多一个月得不到回应，责任人就多一个月逃避审视。

联合国的存在，就是为了对严重侵犯人权行为直言不讳，无论实施者是谁。请全文公布报告，将其提交人权理事会，并阐明人权高专办下一步将采取的措施。",
    },
    ExampleTranslation {
        slug: "release-the-xinjiang-report",
        lang: "ar",
        title: "انشروا التقرير المتعلق بشينجيانغ الآن",
        addressee: "مفوض الأمم المتحدة السامي لحقوق الإنسان",
        body: "ندعو مفوض الأمم المتحدة السامي لحقوق الإنسان إلى أن ينشر، دون مزيد من التأخير، تقييم المفوضية لحالة حقوق الإنسان في منطقة شينجيانغ الويغورية ذاتية الحكم في الصين.

لقد ظلت المفوضية تجمع الأدلة على مدى سنوات. وأدلى ناجون وأسر محتجزين ومدافعون عن حقوق الإنسان بشهاداتهم معرّضين أنفسهم لمخاطر شخصية جسيمة. ومع كل شهر يمر دون نشر التقرير، يبقى من رفعوا أصواتهم بلا جواب، ويبقى المسؤولون بمنأى عن أي رقابة.

إن الأمم المتحدة وُجدت لتتحدث بوضوح عن الانتهاكات الجسيمة، أيًّا كان مرتكبوها. انشروا التقرير كاملًا، وقدّموه إلى مجلس حقوق الإنسان، وحدّدوا الخطوات التي ستتخذها المفوضية بعد ذلك.",
    },
    ExampleTranslation {
        slug: "open-selection-of-the-high-commissioner",
        lang: "fr",
        title: "Nommez le prochain Haut-Commissaire selon une procédure ouverte et transparente",
        addressee: "Secrétaire général de l’Organisation des Nations Unies",
        body: "Nous demandons au Secrétaire général de l’Organisation des Nations Unies de nommer le prochain Haut-Commissaire des Nations Unies aux droits de l’homme selon une procédure ouverte, transparente et fondée sur le mérite, sur la base de critères clairs publiés à l’avance.

Le Haut-Commissaire doit être indépendant, d’une intégrité éprouvée, et avoir démontré qu’il défend les droits de l’homme sans crainte ni complaisance. Ces qualités ne peuvent pas être appréciées à huis clos.

Publiez les critères et le calendrier. Publiez le nom des candidats. Donnez à la société civile et aux associations de victimes la possibilité de les interroger publiquement, et justifiez le choix final au regard des critères.",
    },
    ExampleTranslation {
        slug: "open-selection-of-the-high-commissioner",
        lang: "es",
        title: "Designe al próximo Alto Comisionado mediante un proceso abierto y transparente",
        addressee: "Secretario General de las Naciones Unidas",
        body: "Instamos al Secretario General de las Naciones Unidas a que designe al próximo Alto Comisionado de las Naciones Unidas para los Derechos Humanos mediante un proceso abierto, transparente y basado en los méritos, conforme a criterios claros publicados de antemano.

El Alto Comisionado debe ser independiente, de integridad probada y con una trayectoria de defensa de los derechos humanos sin temor ni favoritismos. Esas cualidades no pueden evaluarse a puerta cerrada.

Publique los criterios y el calendario. Publique los nombres de los candidatos. Ofrezca a la sociedad civil y a las organizaciones de víctimas la oportunidad de interrogarlos en público, y explique la elección final a la luz de los criterios.",
    },
    ExampleTranslation {
        slug: "open-selection-of-the-high-commissioner",
        lang: "ru",
        title: "Назначьте следующего Верховного комиссара в ходе открытого и прозрачного процесса",
        addressee: "Генеральный секретарь ООН",
        body: "Мы призываем Генерального секретаря ООН назначить следующего Верховного комиссара ООН по правам человека в ходе открытого, прозрачного и основанного на заслугах процесса, по чётким критериям, опубликованным заранее.

Верховный комиссар должен быть независимым, безупречно честным человеком, который на деле доказал, что защищает права человека без страха и пристрастия. Эти качества невозможно оценить за закрытыми дверями.

Опубликуйте критерии и сроки. Опубликуйте имена кандидатов. Дайте гражданскому обществу и организациям жертв возможность публично задать кандидатам вопросы и объясните окончательный выбор с точки зрения этих критериев.",
    },
    ExampleTranslation {
        slug: "open-selection-of-the-high-commissioner",
        lang: "zh",
        title: "以公开、透明的程序任命下一任高级专员",
        addressee: "联合国秘书长",
        body: "我们呼吁联合国秘书长按照事先公布的明确标准，通过公开、透明、择优的程序任命下一任联合国人权事务高级专员。

高级专员必须具有独立性和公认的正直品格，并有无所畏惧、不偏不倚地捍卫人权的工作记录。这些品质无法在闭门之中作出评判。

请公布遴选标准和时间表。请公布候选人名单。请让民间社会和受害者团体有机会公开向候选人提问，并对照标准说明最终人选的理由。",
    },
    ExampleTranslation {
        slug: "open-selection-of-the-high-commissioner",
        lang: "ar",
        title: "عيّنوا المفوض السامي المقبل من خلال عملية مفتوحة وشفافة",
        addressee: "الأمين العام للأمم المتحدة",
        body: "ندعو الأمين العام للأمم المتحدة إلى تعيين مفوض الأمم المتحدة السامي لحقوق الإنسان المقبل من خلال عملية مفتوحة وشفافة وقائمة على الجدارة، وفقًا لمعايير واضحة تُنشر مسبقًا.

يجب أن يكون المفوض السامي مستقلًا، مشهودًا له بالنزاهة، وصاحب سجل في الدفاع عن حقوق الإنسان دون خوف أو محاباة. ولا يمكن الحكم على هذه الصفات خلف أبواب مغلقة.

انشروا المعايير والجدول الزمني. وانشروا أسماء المرشحين. وأتيحوا للمجتمع المدني ولمجموعات الضحايا فرصة توجيه الأسئلة إليهم علنًا، وبيّنوا أسباب الاختيار النهائي في ضوء المعايير.",
    },
];
