//! `--dev` demo data (DESIGN.md §4), written once into an empty database in one transaction.

use rusqlite::{params, Connection};

use crate::auth::hash_password;
use crate::store::{meta_get, meta_set, now_millis};

/// The chat with a long history for paging tests.
pub const HISTORY_MESSAGES: i64 = 10_000;
pub const HISTORY_PHONE: &str = "+380000010000";

const MINUTE: i64 = 60_000;

pub fn seed(conn: &mut Connection) -> anyhow::Result<bool> {
    if meta_get(conn, "seeded")?.is_some() {
        return Ok(false);
    }
    let demo = hash_password("demo")?;
    let demo2 = hash_password("demo2")?;
    let tx = conn.transaction()?;
    tx.execute(
        "INSERT INTO companies (id, login, password_hash, name) VALUES (1, 'demo', ?1, 'Demo Company'), (2, 'demo2', ?2, 'Other Company')",
        params![demo, demo2],
    )?;
    tx.execute_batch(
        "INSERT INTO organizations (id, company_id, name) VALUES (1, 1, 'Demo Support'), (2, 2, 'Other Co');
         INSERT INTO operators (id, organization_id, name, status) VALUES (1, 1, 'Olena', 0), (2, 1, 'Mark', 0), (3, 2, 'Taras', 0);",
    )?;
    let now = now_millis();

    // (org, source, name, phone, status, operator, theme, minutes ago of the first message, [(author, text)])
    type Demo<'a> = (
        i64,
        i64,
        &'a str,
        &'a str,
        i64,
        Option<i64>,
        &'a str,
        i64,
        &'a [(i64, &'a str)],
    );
    let chats: &[Demo] = &[
        (
            1,
            2,
            "Iryna Kovalenko",
            "+380671112233",
            1,
            Some(1),
            "Order #491",
            42,
            &[
                (1, "Hello! Where is my order #491?"),
                (0, "Hi Iryna, let me check that for you."),
                (
                    0,
                    "It left our warehouse this morning and should arrive tomorrow.",
                ),
                (1, "Great, thank you! Can I change the delivery address?"),
            ],
        ),
        (
            1,
            1,
            "Dmytro Shevchenko",
            "+380931234567",
            0,
            None,
            "Refund",
            25,
            &[
                (1, "Hi, I would like to return a jacket."),
                (1, "It is the wrong size."),
            ],
        ),
        (
            1,
            0,
            "Sofia",
            "+380504445566",
            2,
            Some(2),
            "Opening hours",
            90,
            &[
                (1, "Are you open on Sunday?"),
                (0, "Yes, from 10:00 to 18:00."),
                (2, "Operator Mark is waiting for the customer's answer."),
            ],
        ),
        (
            1,
            4,
            "John Smith",
            "+447700900123",
            4,
            Some(1),
            "Invoice",
            600,
            &[
                (1, "Could you send me the invoice again?"),
                (0, "Sent to your e-mail."),
                (1, "Got it, thanks."),
            ],
        ),
        (
            2,
            7,
            "Petro",
            "+380990001122",
            0,
            None,
            "Question",
            15,
            &[(1, "Hello, is anyone there?")],
        ),
    ];
    // Long history first so that it sits at the bottom of the list (oldest activity).
    {
        let start = now - (HISTORY_MESSAGES + 2 * 24 * 60) * MINUTE;
        tx.execute(
            "INSERT INTO chats (organization_id, theme, operator_id, status, source, client_name, client_phone,
                                created_at, updated_at)
             VALUES (1, 'Long history', 2, 1, 3, 'History Load', ?1, ?2, ?3)",
            params![HISTORY_PHONE, start, start + (HISTORY_MESSAGES - 1) * MINUTE],
        )?;
        let chat_id = tx.last_insert_rowid();
        let mut stmt = tx.prepare(
            "INSERT INTO messages (chat_id, author, text, status, created_at, operator_id)
             VALUES (?1, ?2, ?3, ?4, ?5, CASE WHEN ?2 = 0 THEN 2 END)",
        )?;
        let mut last = 0;
        for i in 0..HISTORY_MESSAGES {
            // Alternate customer and operator; all delivered and read.
            let (author, status) = if i % 2 == 0 { (1, 3) } else { (0, 1) };
            stmt.execute(params![
                chat_id,
                author,
                format!("History message {}", i + 1),
                status,
                start + i * MINUTE
            ])?;
            last = tx.last_insert_rowid();
        }
        drop(stmt);
        tx.execute(
            "UPDATE chats SET read_upto = ?1 WHERE id = ?2",
            params![last, chat_id],
        )?;
    }
    for (org, source, name, phone, status, operator, theme, ago, messages) in chats {
        let first = now - ago * MINUTE;
        let last = first + (messages.len() as i64 - 1) * MINUTE;
        tx.execute(
            "INSERT INTO chats (organization_id, theme, operator_id, status, source, client_name, client_phone,
                                created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![org, theme, operator, status, source, name, phone, first, last],
        )?;
        let chat_id = tx.last_insert_rowid();
        let mut read_upto = 0;
        for (i, (author, text)) in messages.iter().enumerate() {
            // Operator replies were delivered; the customer's messages before the last reply were read.
            let status = if *author == 1 { 0 } else { 1 };
            // The chat's operator wrote its operator replies.
            let by = operator.filter(|_| *author == 0);
            tx.execute(
                "INSERT INTO messages (chat_id, author, text, status, created_at, operator_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![chat_id, author, text, status, first + i as i64 * MINUTE, by],
            )?;
            if *author == 0 {
                read_upto = tx.last_insert_rowid();
            }
        }
        tx.execute(
            "UPDATE messages SET status = 3 WHERE chat_id = ?1 AND author = 1 AND id <= ?2",
            params![chat_id, read_upto],
        )?;
        tx.execute(
            "UPDATE chats SET read_upto = ?1 WHERE id = ?2",
            params![read_upto, chat_id],
        )?;
    }
    meta_set(&tx, "seeded", "1")?;
    tx.commit()?;
    Ok(true)
}
