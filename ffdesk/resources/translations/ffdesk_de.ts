<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>AboutDialog</name>
    <message>
        <location filename="../../ui/about_dialog.py" line="+25"/>
        <source>About ffdesk</source>
        <translation>Über ffdesk</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>ffdesk {version}</source>
        <translation>ffdesk {version}</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Sets up and syncs the payment, SMS and shipping integrations of Fullfinity ERP.&lt;br&gt;&lt;br&gt;Licensed under the {licence} licence.&lt;br&gt;&lt;a href=&quot;{homepage}&quot;&gt;{homepage}&lt;/a&gt;&lt;br&gt;&lt;a href=&quot;{source}&quot;&gt;Source code&lt;/a&gt;&lt;br&gt;&lt;br&gt;Qt {qt}, PySide6 {pyside}, Python {python}</source>
        <translation>Richtet die Zahlungs-, SMS- und Versandintegrationen von Fullfinity ERP ein und synchronisiert sie.&lt;br&gt;&lt;br&gt;Lizenziert unter der {licence}-Lizenz.&lt;br&gt;&lt;a href=&quot;{homepage}&quot;&gt;{homepage}&lt;/a&gt;&lt;br&gt;&lt;a href=&quot;{source}&quot;&gt;Quellcode&lt;/a&gt;&lt;br&gt;&lt;br&gt;Qt {qt}, PySide6 {pyside}, Python {python}</translation>
    </message>
</context>
<context>
    <name>ActivityDock</name>
    <message>
        <location filename="../../ui/activity.py" line="+54"/>
        <source>Activity</source>
        <translation>Aktivität</translation>
    </message>
</context>
<context>
    <name>ActivityModel</name>
    <message>
        <location line="-36"/>
        <source>When</source>
        <translation>Wann</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Who</source>
        <translation>Wer</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>What</source>
        <translation>Was</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Change</source>
        <translation>Änderung</translation>
    </message>
</context>
<context>
    <name>App</name>
    <message>
        <location filename="../../app.py" line="+174"/>
        <source>Check the --database option or FFDESK_DATABASE_URL (now {url}), then start ffdesk again.</source>
        <translation>Prüfen Sie die Option --database oder FFDESK_DATABASE_URL (jetzt {url}) und starten Sie ffdesk dann erneut.</translation>
    </message>
    <message>
        <location line="+158"/>
        <source>The database could not be opened: {reason}</source>
        <translation>Die Datenbank konnte nicht geöffnet werden: {reason}</translation>
    </message>
</context>
<context>
    <name>AreaTabs</name>
    <message>
        <location filename="../../ui/first_screen.py" line="+113"/>
        <location filename="../../ui/records_area.py" line="+116"/>
        <source>Integrations</source>
        <translation>Integrationen</translation>
    </message>
    <message>
        <location line="+1"/>
        <location filename="../../ui/records_area.py" line="+1"/>
        <source>Records</source>
        <translation>Datensätze</translation>
    </message>
</context>
<context>
    <name>BackgroundSyncs</name>
    <message>
        <location filename="../../ui/background_syncs.py" line="+141"/>
        <source>{count} records could not be synced.</source>
        <translation>{count} Datensätze konnten nicht synchronisiert werden.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Scheduled sync of {name} failed</source>
        <translation>Geplante Synchronisierung von {name} fehlgeschlagen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Open its history to see why.</source>
        <translation>Öffnen Sie den Verlauf, um den Grund zu sehen.</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>Schedule of {name} paused</source>
        <translation>Zeitplan von {name} angehalten</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>It failed several times in a row. Open its history to see why.</source>
        <translation>Sie ist mehrmals nacheinander fehlgeschlagen. Öffnen Sie den Verlauf, um den Grund zu sehen.</translation>
    </message>
    <message>
        <location line="+35"/>
        <source>{count} scheduled syncs will start now.</source>
        <translation>{count} geplante Synchronisierungen starten jetzt.</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>All schedules paused.</source>
        <translation>Alle Zeitpläne angehalten.</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>All schedules resumed.</source>
        <translation>Alle Zeitpläne fortgesetzt.</translation>
    </message>
</context>
<context>
    <name>CatalogueModel</name>
    <message>
        <location filename="../../ui/catalogue_model.py" line="+198"/>
        <source>Problem: {problem}</source>
        <translation>Problem: {problem}</translation>
    </message>
</context>
<context>
    <name>CatalogueView</name>
    <message>
        <location line="-168"/>
        <source>All</source>
        <extracomment>The state filter&apos;s choices: label shown (translated by the view), state matched (None: all).</extracomment>
        <translation>Alle</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Not installed</source>
        <translation>Nicht installiert</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Installed</source>
        <translation>Installiert</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Enabled</source>
        <translation>Aktiviert</translation>
    </message>
    <message>
        <location filename="../../ui/catalogue_view.py" line="+41"/>
        <source>Show integrations</source>
        <translation>Integrationen anzeigen</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>Integrations</source>
        <translation>Integrationen</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Sho&amp;w</source>
        <translation>An&amp;zeigen</translation>
    </message>
    <message>
        <location line="+111"/>
        <source>{shown} of {total}</source>
        <translation>{shown} von {total}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{total} integration</source>
        <translation>{total} Integration</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{total} integrations</source>
        <translation>{total} Integrationen</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>No integration matches the search or the filter.</source>
        <translation>Keine Integration passt zur Suche oder zum Filter.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>No integration modules were found.</source>
        <translation>Es wurden keine Integrationsmodule gefunden.</translation>
    </message>
</context>
<context>
    <name>CloseGuard</name>
    <message>
        <location filename="../../ui/close_guard.py" line="+22"/>
        <source>A {name} sync is running: stop it and quit, keep syncing in the tray, or keep the window open?</source>
        <translation>Eine Synchronisierung von {name} läuft: anhalten und beenden, im Infobereich weiter synchronisieren oder das Fenster offen lassen?</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>A {name} sync is running: stop it and quit, or keep the window open?</source>
        <translation>Eine Synchronisierung von {name} läuft: anhalten und beenden oder das Fenster offen lassen?</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>{count} syncs are running ({names}): stop them and quit, keep syncing in the tray, or keep the window open?</source>
        <translation>{count} Synchronisierungen laufen ({names}): anhalten und beenden, im Infobereich weiter synchronisieren oder das Fenster offen lassen?</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>{count} syncs are running ({names}): stop them and quit, or keep the window open?</source>
        <translation>{count} Synchronisierungen laufen ({names}): anhalten und beenden oder das Fenster offen lassen?</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>A sync is running</source>
        <translation>Eine Synchronisierung läuft</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Stopping keeps what was synced so far; the history says it stopped because ffdesk was closed.</source>
        <translation>Beim Anhalten bleibt das bisher Synchronisierte erhalten; der Verlauf vermerkt, dass ffdesk geschlossen wurde.</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Keep syncing in the tray</source>
        <translation>Im Infobereich weiter synchronisieren</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Stop the sync and quit</source>
        <translation>Synchronisierung anhalten und beenden</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Keep the window open</source>
        <translation>Fenster offen lassen</translation>
    </message>
</context>
<context>
    <name>ClosedRunsNotice</name>
    <message>
        <location filename="../../ui/closed_runs_notice.py" line="+85"/>
        <source>Sync now</source>
        <translation>Jetzt synchronisieren</translation>
    </message>
    <message>
        <location line="+31"/>
        <source>The {name} sync of {company} was stopped because ffdesk was closed; what was synced until then is kept.</source>
        <translation>Die Synchronisierung von {name} in {company} wurde angehalten, weil ffdesk geschlossen wurde; das bis dahin Synchronisierte bleibt erhalten.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>{count} syncs were stopped because ffdesk was closed: {runs}. What was synced until then is kept.</source>
        <translation>{count} Synchronisierungen wurden angehalten, weil ffdesk geschlossen wurde: {runs}. Das bis dahin Synchronisierte bleibt erhalten.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Run these syncs again now</source>
        <translation>Diese Synchronisierungen jetzt erneut ausführen</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Sync it again now</source>
        <translation>Jetzt erneut synchronisieren</translation>
    </message>
</context>
<context>
    <name>CompanyNameDialog</name>
    <message>
        <location filename="../../ui/company_dialog.py" line="+68"/>
        <source>Type a name for the company.</source>
        <translation>Geben Sie einen Namen für die Firma ein.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>A company named {name} already exists.</source>
        <translation>Eine Firma namens {name} gibt es bereits.</translation>
    </message>
</context>
<context>
    <name>CompanySwitcher</name>
    <message>
        <location filename="../../ui/company_switcher.py" line="+13"/>
        <source>&amp;New company…</source>
        <translation>&amp;Neue Firma…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Rename company…</source>
        <translation>Firma &amp;umbenennen…</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>Company</source>
        <translation>Firma</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Active company: type part of a name, then Enter</source>
        <translation>Aktive Firma: einen Teil des Namens tippen, dann Eingabe</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Type to find a company</source>
        <translation>Tippen, um eine Firma zu finden</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>&amp;Manage</source>
        <translation>&amp;Verwalten</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>New company or rename this one</source>
        <translation>Neue Firma anlegen oder diese umbenennen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Manage companies</source>
        <translation>Firmen verwalten</translation>
    </message>
</context>
<context>
    <name>ConfigMenu</name>
    <message>
        <location filename="../../ui/config_menu.py" line="+27"/>
        <location filename="../../ui/first_screen.py" line="+16"/>
        <source>Confi&amp;guration</source>
        <translation>&amp;Konfiguration</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>&amp;Export…</source>
        <translation>&amp;Exportieren…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Import…</source>
        <translation>&amp;Importieren…</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Configuration (*.yaml *.yml)</source>
        <translation>Konfiguration (*.yaml *.yml)</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Export the configuration</source>
        <translation>Konfiguration exportieren</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Exported the configuration to {path} (no secrets).</source>
        <translation>Konfiguration nach {path} exportiert (ohne Geheimnisse).</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Import a configuration</source>
        <translation>Konfiguration importieren</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>The configuration is already the same.</source>
        <translation>Die Konfiguration ist bereits identisch.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Import the configuration?</source>
        <translation>Konfiguration importieren?</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Importing {path} would make these changes:</source>
        <translation>Der Import von {path} würde Folgendes ändern:</translation>
    </message>
    <message>
        <location line="+31"/>
        <source>Imported {count} changes from {path}.</source>
        <translation>{count} Änderungen aus {path} importiert.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Secrets to enter: {needed}.</source>
        <translation>Noch einzugebende Geheimnisse: {needed}.</translation>
    </message>
</context>
<context>
    <name>DatabaseMenu</name>
    <message>
        <location filename="../../ui/database_menu.py" line="+27"/>
        <location filename="../../ui/first_screen.py" line="-1"/>
        <source>&amp;Database</source>
        <translation>&amp;Datenbank</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>&amp;Check the database</source>
        <translation>Datenbank &amp;prüfen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Back up the database…</source>
        <translation>Datenbank &amp;sichern…</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>Back up ffdesk&apos;s database</source>
        <translation>ffdesk-Datenbank sichern</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>SQLite database (*.db *.sqlite)</source>
        <translation>SQLite-Datenbank (*.db *.sqlite)</translation>
    </message>
</context>
<context>
    <name>Dialogs</name>
    <message>
        <location filename="../../ui/dialogs.py" line="+32"/>
        <source>Unsaved changes</source>
        <translation>Ungespeicherte Änderungen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{name} has unsaved changes.</source>
        <translation>{name} hat ungespeicherte Änderungen.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Save them before you go on?</source>
        <translation>Vor dem Fortfahren speichern?</translation>
    </message>
    <message>
        <location line="+68"/>
        <source>OK</source>
        <translation>OK</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Error details</source>
        <translation>Fehlerdetails</translation>
    </message>
</context>
<context>
    <name>DoctorDialog</name>
    <message>
        <location filename="../../ui/doctor_dialog.py" line="+36"/>
        <source>Doctor</source>
        <translation>Diagnose</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+24"/>
        <source>Checking…</source>
        <translation>Wird geprüft…</translation>
    </message>
    <message>
        <location line="-19"/>
        <source>Check</source>
        <translation>Prüfung</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Details</source>
        <translation>Details</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Check &amp;again</source>
        <translation>&amp;Erneut prüfen</translation>
    </message>
    <message>
        <location line="+30"/>
        <source>ok</source>
        <translation>in Ordnung</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>warning</source>
        <translation>Warnung</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>problem</source>
        <translation>Problem</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Fix: %1</source>
        <translation>Abhilfe: %1</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Everything looks fine.</source>
        <translation>Alles sieht gut aus.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Some checks found a problem; each says how to fix it.</source>
        <translation>Einige Prüfungen haben ein Problem gefunden; jede sagt, wie es sich beheben lässt.</translation>
    </message>
</context>
<context>
    <name>Errors</name>
    <message>
        <location filename="../../ui/errors.py" line="+16"/>
        <source>Something went wrong. The details were written to the log file.</source>
        <translation>Etwas ist schiefgelaufen. Die Details stehen in der Protokolldatei.</translation>
    </message>
</context>
<context>
    <name>FieldEditor</name>
    <message>
        <location filename="../../ui/pane_layout.py" line="+47"/>
        <source>set — type to replace</source>
        <translation>gesetzt — zum Ersetzen tippen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>removed when you save — type to replace</source>
        <translation>wird beim Speichern entfernt — zum Ersetzen tippen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>not set</source>
        <translation>nicht gesetzt</translation>
    </message>
    <message>
        <location filename="../../ui/field_editors.py" line="+152"/>
        <location line="+60"/>
        <source>Show what you typed</source>
        <translation>Eingabe anzeigen</translation>
    </message>
    <message>
        <location line="-52"/>
        <source>Remove the stored value</source>
        <translation>Gespeicherten Wert entfernen</translation>
    </message>
    <message>
        <location line="+50"/>
        <source>Hide what you typed</source>
        <translation>Eingabe verbergen</translation>
    </message>
    <message>
        <location filename="../../ui/pane_layout.py" line="+1"/>
        <source>Never</source>
        <translation>Nie</translation>
    </message>
    <message>
        <location filename="../../ui/field_editors.py" line="+148"/>
        <source>Choose…</source>
        <translation>Auswählen…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Remove</source>
        <translation>Entfernen</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>No image</source>
        <translation>Kein Bild</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Choose {label}</source>
        <translation>{label} auswählen</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Images ({patterns})</source>
        <translation>Bilder ({patterns})</translation>
    </message>
</context>
<context>
    <name>FormWidget</name>
    <message>
        <location filename="../../ui/form_widget.py" line="+91"/>
        <source>{label} (required)</source>
        <translation>{label} (Pflichtfeld)</translation>
    </message>
    <message>
        <location line="+54"/>
        <location filename="../../ui/pane_preview.py" line="+115"/>
        <source>{marker} needed to enable</source>
        <extracomment>The module&apos;s checks of what is typed, as the user types (they do not stop Save). What Enable or Test found wrong, shown until the field is changed.</extracomment>
        <translation>{marker} zum Aktivieren nötig</translation>
    </message>
    <message>
        <location line="+5"/>
        <location line="+238"/>
        <source>Unsaved changes</source>
        <translation>Ungespeicherte Änderungen</translation>
    </message>
    <message>
        <location line="-235"/>
        <location filename="../../ui/pane_preview.py" line="+9"/>
        <source>&amp;Save</source>
        <translation>&amp;Speichern</translation>
    </message>
    <message>
        <location line="+4"/>
        <location filename="../../ui/pane_preview.py" line="-2"/>
        <source>Disc&amp;ard</source>
        <translation>&amp;Verwerfen</translation>
    </message>
    <message>
        <location line="-1"/>
        <source>Save the changes (Ctrl+S)</source>
        <translation>Änderungen speichern (Strg+S)</translation>
    </message>
    <message>
        <location line="+230"/>
        <source>Fix the highlighted fields to save</source>
        <translation>Zum Speichern die markierten Felder korrigieren</translation>
    </message>
</context>
<context>
    <name>HistoryTables</name>
    <message>
        <location filename="../../ui/history_tables.py" line="+46"/>
        <location line="+204"/>
        <source>Today {time}</source>
        <extracomment>Columns hidden first when room runs out, in that order. Room the Error column keeps at least.</extracomment>
        <translation>Heute {time}</translation>
    </message>
</context>
<context>
    <name>ImportReportDialog</name>
    <message>
        <location filename="../../ui/records_dialogs.py" line="+434"/>
        <source>Contacts imported</source>
        <translation>Kontakte importiert</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{file}: {created} created, {updated} updated, {unchanged} unchanged, {bad} bad row(s) skipped.</source>
        <translation>{file}: {created} angelegt, {updated} aktualisiert, {unchanged} unverändert, {bad} fehlerhafte Zeile(n) übersprungen.</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Bad rows</source>
        <translation>Fehlerhafte Zeilen</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Rows not imported:</source>
        <translation>Nicht importierte Zeilen:</translation>
    </message>
</context>
<context>
    <name>InstallCard</name>
    <message>
        <location filename="../../ui/install_card.py" line="+77"/>
        <source>No description.</source>
        <translation>Keine Beschreibung.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Installing it also installs {modules}.</source>
        <translation>Die Installation installiert außerdem {modules}.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>It needs no other module.</source>
        <translation>Es braucht kein weiteres Modul.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>It cannot be installed: {problem}</source>
        <translation>Es kann nicht installiert werden: {problem}</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>I&amp;nstall {name}</source>
        <translation>{name} i&amp;nstallieren</translation>
    </message>
</context>
<context>
    <name>IntegrationHeader</name>
    <message>
        <location filename="../../ui/integration_header.py" line="+32"/>
        <source>Never synced</source>
        <translation>Nie synchronisiert</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Last synced today at {time}</source>
        <translation>Zuletzt synchronisiert heute um {time}</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Last synced {when}</source>
        <translation>Zuletzt synchronisiert {when}</translation>
    </message>
    <message>
        <location line="+43"/>
        <source>&amp;Install</source>
        <translation>&amp;Installieren</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>&amp;Uninstall</source>
        <translation>&amp;Deinstallieren</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>&amp;Enable</source>
        <translation>&amp;Aktivieren</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Disa&amp;ble</source>
        <translation>D&amp;eaktivieren</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>&amp;Test connection</source>
        <translation>Verbindung &amp;testen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>S&amp;ync now</source>
        <translation>&amp;Jetzt synchronisieren</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>&amp;Preview</source>
        <translation>&amp;Vorschau</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Cance&amp;l</source>
        <translation>A&amp;bbrechen</translation>
    </message>
    <message>
        <location line="+107"/>
        <source>Sync now</source>
        <translation>Jetzt synchronisieren</translation>
    </message>
    <message>
        <location line="-109"/>
        <source>List what a sync would send and ask for, without sending or saving anything</source>
        <translation>Zeigt, was eine Synchronisierung senden und abfragen würde, ohne etwas zu senden oder zu speichern</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Stop at the next record; what is done is kept</source>
        <translation>Beim nächsten Datensatz anhalten; Erledigtes bleibt erhalten</translation>
    </message>
    <message>
        <location line="+116"/>
        <source>{done} records</source>
        <translation>{done} Datensätze</translation>
    </message>
</context>
<context>
    <name>IntegrationPane</name>
    <message>
        <location filename="../../ui/integration_pane.py" line="+66"/>
        <source>Connection ok</source>
        <translation>Verbindung in Ordnung</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Connection rejected</source>
        <translation>Verbindung abgelehnt</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+521"/>
        <source>Provider unreachable</source>
        <translation>Anbieter nicht erreichbar</translation>
    </message>
    <message>
        <location line="-518"/>
        <source>Check the settings</source>
        <extracomment>A test stopped by the typed settings themselves: nothing was sent, nothing was rejected.</extracomment>
        <translation>Einstellungen prüfen</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>{created} created, {updated} updated, {skipped} skipped, {failed} failed</source>
        <translation>{created} angelegt, {updated} aktualisiert, {skipped} übersprungen, {failed} fehlgeschlagen</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Sync cancelled; what was done is kept ({counts}).</source>
        <translation>Synchronisierung abgebrochen; Erledigtes bleibt erhalten ({counts}).</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>see the run log</source>
        <translation>siehe Protokoll des Laufs</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Sync failed: {error} ({counts}).</source>
        <translation>Synchronisierung fehlgeschlagen: {error} ({counts}).</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Sync finished with failures: {counts}.</source>
        <translation>Synchronisierung mit Fehlern beendet: {counts}.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Sync finished: {counts}.</source>
        <translation>Synchronisierung beendet: {counts}.</translation>
    </message>
    <message>
        <location line="+42"/>
        <source>No sync has run yet.</source>
        <translation>Es lief noch keine Synchronisierung.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>No local record is linked to a remote one yet.</source>
        <translation>Noch kein lokaler Datensatz ist mit einem entfernten verknüpft.</translation>
    </message>
    <message>
        <location line="+11"/>
        <location filename="../../ui/pane_layout.py" line="-13"/>
        <source>Sync history</source>
        <translation>Synchronisierungsverlauf</translation>
    </message>
    <message>
        <location line="+1"/>
        <location filename="../../ui/pane_layout.py" line="+1"/>
        <source>Mapped records</source>
        <translation>Verknüpfte Datensätze</translation>
    </message>
    <message>
        <location line="+3"/>
        <location filename="../../ui/pane_layout.py" line="+1"/>
        <source>Activity</source>
        <translation>Aktivität</translation>
    </message>
    <message>
        <location line="+1"/>
        <location filename="../../ui/pane_layout.py" line="+1"/>
        <source>Preview</source>
        <translation>Vorschau</translation>
    </message>
    <message>
        <location line="+2"/>
        <location filename="../../ui/pane_layout.py" line="+1"/>
        <source>Data</source>
        <translation>Daten</translation>
    </message>
    <message>
        <location line="+36"/>
        <location line="+63"/>
        <source>Select an integration on the left to see its settings.</source>
        <translation>Wählen Sie links eine Integration, um ihre Einstellungen zu sehen.</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>{module} is unavailable: {problem}</source>
        <translation>{module} ist nicht verfügbar: {problem}</translation>
    </message>
    <message>
        <location line="+46"/>
        <source>Sync history ({count})</source>
        <translation>Synchronisierungsverlauf ({count})</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Mapped records ({count})</source>
        <translation>Verknüpfte Datensätze ({count})</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Scheduled sync paused after {count} failed runs: {reason}. A successful Sync now resumes it.</source>
        <translation>Geplante Synchronisierung nach {count} fehlgeschlagenen Läufen angehalten: {reason}. Ein erfolgreiches „Jetzt synchronisieren“ setzt sie fort.</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>This module cannot be installed: {problem}</source>
        <translation>Dieses Modul kann nicht installiert werden: {problem}</translation>
    </message>
    <message>
        <location line="+115"/>
        <source>{fields} need attention; each says why under it.</source>
        <translation>{fields} sind zu prüfen; unter jedem Feld steht, warum.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>{name} cannot be enabled yet: {fields} need attention; each says why under it.</source>
        <translation>{name} kann noch nicht aktiviert werden: {fields} sind zu prüfen; unter jedem Feld steht, warum.</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Correct the highlighted fields before saving.</source>
        <translation>Korrigieren Sie vor dem Speichern die markierten Felder.</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>{name}: changes saved.</source>
        <translation>{name}: Änderungen gespeichert.</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>{name} installed.</source>
        <translation>{name} installiert.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Also installs {modules}.</source>
        <translation>Installiert außerdem {modules}.</translation>
    </message>
    <message>
        <location line="+8"/>
        <location line="+2"/>
        <source>Uninstall</source>
        <translation>Deinstallieren</translation>
    </message>
    <message>
        <location line="-1"/>
        <source>Uninstall {name}?</source>
        <translation>{name} deinstallieren?</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Its integrations are disabled in every company. Synced data and settings stay in the database.</source>
        <translation>Seine Integrationen werden in jeder Firma deaktiviert. Synchronisierte Daten und Einstellungen bleiben in der Datenbank.</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>{name} uninstalled.</source>
        <translation>{name} deinstalliert.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Also uninstalls {modules}.</source>
        <translation>Deinstalliert außerdem {modules}.</translation>
    </message>
    <message>
        <location line="+31"/>
        <source>Enable {name} anyway?</source>
        <translation>{name} trotzdem aktivieren?</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Enable anyway</source>
        <translation>Trotzdem aktivieren</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>{name} is enabled.</source>
        <translation>{name} ist aktiviert.</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>{name} is disabled.</source>
        <translation>{name} ist deaktiviert.</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Testing the connection to {name}…</source>
        <translation>Verbindung zu {name} wird getestet…</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Connection test cancelled.</source>
        <translation>Verbindungstest abgebrochen.</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>Syncing with the saved settings; your unsaved changes are not used.</source>
        <translation>Synchronisiert wird mit den gespeicherten Einstellungen; Ihre ungespeicherten Änderungen werden nicht verwendet.</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Previewing a sync of {name}…</source>
        <translation>Vorschau der Synchronisierung von {name}…</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Preview failed: {error}</source>
        <translation>Vorschau fehlgeschlagen: {error}</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Preview: {created} to create, {updated} to update; nothing was sent or saved.</source>
        <translation>Vorschau: {created} anzulegen, {updated} zu aktualisieren; nichts wurde gesendet oder gespeichert.</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Resyncing {model} #{local_id}…</source>
        <translation>{model} #{local_id} wird erneut synchronisiert…</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Cancelling: the sync stops after the current record.</source>
        <translation>Wird abgebrochen: Die Synchronisierung hält nach dem aktuellen Datensatz an.</translation>
    </message>
    <message>
        <location filename="../../ui/pane_state.py" line="+162"/>
        <source>Waiting for {provider}&apos;s rate limit, resumes in {seconds} s.</source>
        <translation>Warte auf das Anfragelimit von {provider}, weiter in {seconds} s.</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../ui/main_window.py" line="+95"/>
        <source>Search integrations (Ctrl+F)</source>
        <translation>Integrationen suchen (Strg+F)</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Search integrations</source>
        <translation>Integrationen suchen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Main</source>
        <translation>Hauptleiste</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>&amp;Company</source>
        <translation>&amp;Firma</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Problems</source>
        <translation>Probleme</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Show the module problems</source>
        <translation>Modulprobleme zeigen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Refresh</source>
        <translation>Aktualisieren</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Read everything again (F5)</source>
        <translation>Alles neu einlesen (F5)</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Opening the database…</source>
        <translation>Datenbank wird geöffnet…</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>Find an integration</source>
        <translation>Integration suchen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Save the form</source>
        <translation>Formular speichern</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Quit</source>
        <translation>Beenden</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Clear the search</source>
        <translation>Suche leeren</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>&amp;Help</source>
        <translation>&amp;Hilfe</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>&amp;Doctor…</source>
        <translation>&amp;Diagnose…</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Check the keyring, database, data folder, network, modules and clock</source>
        <translation>Schlüsselbund, Datenbank, Datenordner, Netzwerk, Module und Uhr prüfen</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>&amp;Keyboard Shortcuts</source>
        <translation>&amp;Tastenkürzel</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>&amp;About ffdesk</source>
        <translation>Ü&amp;ber ffdesk</translation>
    </message>
    <message>
        <location line="+64"/>
        <source>Module problems</source>
        <translation>Modulprobleme</translation>
    </message>
    <message>
        <location filename="../../ui/first_screen.py" line="+6"/>
        <location filename="../../ui/main_window.py" line="+97"/>
        <source>Acti&amp;vity</source>
        <translation>A&amp;ktivität</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="+229"/>
        <source>&amp;Name of the new company:</source>
        <translation>&amp;Name der neuen Firma:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>C&amp;reate</source>
        <translation>&amp;Anlegen</translation>
    </message>
    <message>
        <location line="+51"/>
        <source>&amp;New name:</source>
        <translation>&amp;Neuer Name:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Rename</source>
        <translation>&amp;Umbenennen</translation>
    </message>
    <message>
        <location line="+115"/>
        <source>{module} is not an integration: it has no page in the list.</source>
        <translation>{module} ist keine Integration: es hat keine Seite in der Liste.</translation>
    </message>
    <message>
        <location filename="../../ui/first_screen.py" line="-79"/>
        <location filename="../../ui/main_window.py" line="-320"/>
        <source>Company: {name}</source>
        <translation>Firma: {name}</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="+14"/>
        <source>Problems ({count})</source>
        <translation>Probleme ({count})</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>No problems</source>
        <translation>Keine Probleme</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>{count} module(s) cannot be installed: show why</source>
        <translation>{count} Modul(e) nicht installierbar: Gründe anzeigen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>No module problems</source>
        <translation>Keine Modulprobleme</translation>
    </message>
    <message>
        <location line="+131"/>
        <source>New company</source>
        <translation>Neue Firma</translation>
    </message>
    <message>
        <location line="+43"/>
        <source>Company {name} created.</source>
        <translation>Firma {name} angelegt.</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Rename company</source>
        <translation>Firma umbenennen</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Company renamed to {name}.</source>
        <translation>Firma umbenannt in {name}.</translation>
    </message>
    <message>
        <location line="+50"/>
        <source>Refreshed.</source>
        <translation>Aktualisiert.</translation>
    </message>
</context>
<context>
    <name>MappingsModel</name>
    <message>
        <location filename="../../ui/history_tables.py" line="-88"/>
        <source>Model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Local ID</source>
        <translation>Lokale ID</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Remote ID</source>
        <translation>Entfernte ID</translation>
    </message>
</context>
<context>
    <name>MappingsPage</name>
    <message>
        <location filename="../../ui/sync_tools.py" line="+35"/>
        <source>&amp;Resync</source>
        <translation>&amp;Erneut synchronisieren</translation>
    </message>
    <message>
        <location line="+3"/>
        <location line="+35"/>
        <source>Push or pull the selected record again, even if it has not changed</source>
        <translation>Den ausgewählten Datensatz erneut senden oder abrufen, auch wenn er sich nicht geändert hat</translation>
    </message>
    <message>
        <location line="-31"/>
        <source>Resync</source>
        <translation>Erneut synchronisieren</translation>
    </message>
</context>
<context>
    <name>MessageBar</name>
    <message>
        <location filename="../../ui/message_bar.py" line="+44"/>
        <source>Details…</source>
        <translation>Details…</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Dismiss</source>
        <translation>Schließen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Dismiss message</source>
        <translation>Meldung schließen</translation>
    </message>
</context>
<context>
    <name>Names</name>
    <message>
        <location filename="../../ui/names.py" line="+15"/>
        <source>{first} and {last}</source>
        <translation>{first} und {last}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>, </source>
        <translation>, </translation>
    </message>
</context>
<context>
    <name>PanePreview</name>
    <message>
        <location filename="../../ui/first_screen.py" line="+70"/>
        <location filename="../../ui/pane_preview.py" line="-34"/>
        <source>Opening the database…</source>
        <translation>Datenbank wird geöffnet…</translation>
    </message>
</context>
<context>
    <name>PaneStates</name>
    <message>
        <location filename="../../ui/pane_state.py" line="-132"/>
        <source>Testing…</source>
        <translation>Wird getestet…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Enabling…</source>
        <translation>Wird aktiviert…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Syncing…</source>
        <translation>Wird synchronisiert…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Previewing…</source>
        <translation>Vorschau läuft…</translation>
    </message>
</context>
<context>
    <name>PreviewPage</name>
    <message>
        <location filename="../../ui/sync_tools.py" line="+57"/>
        <location line="+16"/>
        <source>Press Preview to see what a sync would send and ask for.</source>
        <translation>Klicken Sie auf „Vorschau“, um zu sehen, was eine Synchronisierung senden und abfragen würde.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Preview failed: {error}</source>
        <translation>Vorschau fehlgeschlagen: {error}</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>A sync now would create {created} and update {updated} records ({skipped} unchanged). Nothing was sent or saved.</source>
        <translation>Eine Synchronisierung würde jetzt {created} Datensätze anlegen und {updated} aktualisieren ({skipped} unverändert). Nichts wurde gesendet oder gespeichert.</translation>
    </message>
</context>
<context>
    <name>ProblemsView</name>
    <message>
        <location filename="../../ui/problems_view.py" line="+37"/>
        <source>Module</source>
        <translation>Modul</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Problem</source>
        <translation>Problem</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>Double-click a problem, or press Enter, to select its module</source>
        <translation>Doppelklicken Sie auf ein Problem oder drücken Sie die Eingabetaste, um sein Modul auszuwählen</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Every module loaded without problems.</source>
        <translation>Alle Module wurden ohne Probleme geladen.</translation>
    </message>
</context>
<context>
    <name>RecordDetailPanel</name>
    <message>
        <location filename="../../ui/records_detail.py" line="+37"/>
        <location line="+54"/>
        <source>Select a record to see how it is synced.</source>
        <translation>Wählen Sie einen Datensatz, um zu sehen, wie er synchronisiert wird.</translation>
    </message>
    <message>
        <location line="-49"/>
        <location line="+12"/>
        <source>Integration</source>
        <translation>Integration</translation>
    </message>
    <message>
        <location line="-8"/>
        <source>&amp;Resync</source>
        <translation>E&amp;rneut synchronisieren</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Send or fetch this record again now</source>
        <translation>Diesen Datensatz jetzt erneut senden oder abrufen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Open in provider &amp;dashboard</source>
        <translation>Im &amp;Dashboard des Anbieters öffnen</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Remote ID</source>
        <translation>Externe ID</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Last synced</source>
        <translation>Zuletzt synchronisiert</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Last error</source>
        <translation>Letzter Fehler</translation>
    </message>
    <message>
        <location line="+36"/>
        <source>{title} is not linked to any integration yet.</source>
        <translation>{title} ist noch mit keiner Integration verknüpft.</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>—</source>
        <translation>—</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>{integration}: how this record is synced</source>
        <translation>{integration}: wie dieser Datensatz synchronisiert wird</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>not sent yet</source>
        <translation>noch nicht gesendet</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>never</source>
        <translation>nie</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>none</source>
        <translation>keiner</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>{integration} has no page for this record</source>
        <translation>{integration} hat keine Seite für diesen Datensatz</translation>
    </message>
</context>
<context>
    <name>RecordFormDialog</name>
    <message>
        <location filename="../../ui/records_dialogs.py" line="-324"/>
        <source>New {record}</source>
        <translation>Neu: {record}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Edit {record}</source>
        <translation>Bearbeiten: {record}</translation>
    </message>
    <message>
        <location line="+30"/>
        <source>&amp;Create</source>
        <translation>&amp;Anlegen</translation>
    </message>
</context>
<context>
    <name>RecordsArea</name>
    <message>
        <location filename="../../ui/records_area.py" line="-78"/>
        <source>Record types</source>
        <translation>Datensatzarten</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Record t&amp;ypes</source>
        <translation>Datensatz&amp;arten</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Install an integration to see the records it syncs.</source>
        <translation>Installieren Sie eine Integration, um die Datensätze zu sehen, die sie synchronisiert.</translation>
    </message>
</context>
<context>
    <name>RecordsBrowser</name>
    <message>
        <location filename="../../ui/records_browser.py" line="+92"/>
        <source>Record type</source>
        <extracomment>How long typing pauses before the search or the filter is applied. A column&apos;s share of the table&apos;s width by the type of its field. The filter text of the result shown (the last one that was valid).</extracomment>
        <translation>Datensatzart</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Search</source>
        <translation>Suchen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Search records</source>
        <translation>Datensätze durchsuchen</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Filter, e.g. Q(state=&apos;done&apos;) &amp; Q(amount__gt=100)</source>
        <translation>Filter, z. B. Q(state=&apos;done&apos;) &amp; Q(amount__gt=100)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Filter (Q-expression)</source>
        <translation>Filter (Q-Ausdruck)</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>&amp;New…</source>
        <translation>&amp;Neu…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Edit…</source>
        <translation>&amp;Bearbeiten…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Import CSV…</source>
        <translation>CSV &amp;importieren…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Send test &amp;SMS…</source>
        <translation>Test-&amp;SMS senden…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Track a shipment…</source>
        <translation>Sendung &amp;verfolgen…</translation>
    </message>
    <message>
        <location line="+25"/>
        <source>Records</source>
        <translation>Datensätze</translation>
    </message>
    <message numerus="yes">
        <location line="+157"/>
        <source>%n record(s)</source>
        <translation>
            <numerusform>%n Datensatz</numerusform>
            <numerusform>%n Datensätze</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/records_dialogs.py" line="+302"/>
        <source>Import contacts from CSV</source>
        <translation>Kontakte aus CSV importieren</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>CSV files (*.csv);;All files (*)</source>
        <translation>CSV-Dateien (*.csv);;Alle Dateien (*)</translation>
    </message>
</context>
<context>
    <name>RunDetailDialog</name>
    <message>
        <location filename="../../ui/run_detail.py" line="+41"/>
        <source>still running</source>
        <translation>läuft noch</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{seconds} s</source>
        <translation>{seconds} s</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>{minutes} min {seconds} s</source>
        <translation>{minutes} min {seconds} s</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>{hours} h {minutes} min</source>
        <translation>{hours} h {minutes} min</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Sync run {run} of {name}</source>
        <translation>Synchronisierung {run} von {name}</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Records by direction</source>
        <translation>Datensätze nach Richtung</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Failed records ({count})</source>
        <translation>Fehlgeschlagene Datensätze ({count})</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Log of this run</source>
        <translation>Protokoll dieses Laufs</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>This run wrote no log lines.</source>
        <translation>Dieser Lauf hat keine Protokollzeilen geschrieben.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Open &amp;log folder</source>
        <translation>&amp;Protokollordner öffnen</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>ffdesk.log holds every run&apos;s lines, secrets masked; this run&apos;s read &quot;{name} (run {run}): …&quot;</source>
        <translation>ffdesk.log enthält die Zeilen jedes Laufs, Geheimnisse maskiert; die dieses Laufs beginnen mit &quot;{name} (run {run}): …&quot;</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>Started:</source>
        <translation>Gestartet:</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Ended:</source>
        <translation>Beendet:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>not yet</source>
        <translation>noch nicht</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Duration:</source>
        <translation>Dauer:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Started by:</source>
        <translation>Ausgelöst durch:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>State:</source>
        <translation>Status:</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Error:</source>
        <translation>Fehler:</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Created</source>
        <translation>Angelegt</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Updated</source>
        <translation>Aktualisiert</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Skipped</source>
        <translation>Übersprungen</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Failed</source>
        <translation>Fehlgeschlagen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Pushed to {name}</source>
        <translation>Gesendet an {name}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Pulled from {name}</source>
        <translation>Abgerufen von {name}</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>Record</source>
        <translation>Datensatz</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Reason</source>
        <translation>Grund</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Failed records ({count}; the first {shown} are listed, see the log)</source>
        <translation>Fehlgeschlagene Datensätze ({count}; die ersten {shown} sind aufgeführt, siehe Protokoll)</translation>
    </message>
</context>
<context>
    <name>RunDetailLauncher</name>
    <message>
        <location line="+31"/>
        <source>Double-click a run, or press Enter, to see its detail</source>
        <translation>Doppelklicken Sie auf einen Lauf oder drücken Sie die Eingabetaste, um die Details zu sehen</translation>
    </message>
</context>
<context>
    <name>RunsModel</name>
    <message>
        <location filename="../../ui/history_tables.py" line="-71"/>
        <source>Started</source>
        <translation>Gestartet</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Trigger</source>
        <translation>Auslöser</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>State</source>
        <translation>Status</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Created</source>
        <translation>Angelegt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Updated</source>
        <translation>Aktualisiert</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Skipped</source>
        <translation>Übersprungen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Failed</source>
        <translation>Fehlgeschlagen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Error</source>
        <translation>Fehler</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>Double-click or press Enter for the run&apos;s detail.</source>
        <translation>Doppelklick oder Eingabetaste zeigt die Details des Laufs.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Finished {when} ({seconds} s)</source>
        <translation>Beendet {when} ({seconds} s)</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>{count} records failed: first: {first}</source>
        <translation>{count} Datensätze fehlgeschlagen, zuerst: {first}</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>{count} records failed; see the run&apos;s detail</source>
        <translation>{count} Datensätze fehlgeschlagen; siehe die Details des Laufs</translation>
    </message>
</context>
<context>
    <name>ScheduleNote</name>
    <message>
        <location filename="../../ui/schedule_note.py" line="+14"/>
        <source>every minute</source>
        <translation>jede Minute</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>every {n} minutes</source>
        <translation>alle {n} Minuten</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>every hour</source>
        <translation>jede Stunde</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>every {n} hours</source>
        <translation>alle {n} Stunden</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>every day</source>
        <translation>jeden Tag</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>every {n} days</source>
        <translation>alle {n} Tage</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>every month</source>
        <translation>jeden Monat</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>every {n} months</source>
        <translation>alle {n} Monate</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>every year</source>
        <translation>jedes Jahr</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>every {n} years</source>
        <translation>alle {n} Jahre</translation>
    </message>
</context>
<context>
    <name>ScheduleStatus</name>
    <message>
        <location filename="../../ui/schedule_status.py" line="+29"/>
        <source>Run schedules in the bac&amp;kground…</source>
        <translation>Zeitpläne im &amp;Hintergrund ausführen…</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Install the ffdesk scheduler as a service, so schedules run without the window</source>
        <translation>Den ffdesk-Planer als Dienst installieren, damit Zeitpläne ohne das Fenster laufen</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>not yet</source>
        <translation>noch nicht</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Scheduled syncs run in the background on {host} (last check {when})</source>
        <translation>Geplante Synchronisierungen laufen im Hintergrund auf {host} (letzte Prüfung {when})</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Scheduled syncs run only while this window is open.</source>
        <translation>Geplante Synchronisierungen laufen nur, solange dieses Fenster offen ist.</translation>
    </message>
</context>
<context>
    <name>SendSmsDialog</name>
    <message>
        <location filename="../../ui/records_dialogs.py" line="-224"/>
        <source>Send test SMS</source>
        <translation>Test-SMS senden</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The message is queued and sent by Twilio&apos;s next sync, or at once with Send now.</source>
        <translation>Die Nachricht wird vorgemerkt und bei der nächsten Twilio-Synchronisierung gesendet, oder sofort mit „Jetzt senden“.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>+14155550100</source>
        <translation>+14155550100</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>To</source>
        <translation>An</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Message</source>
        <translation>Nachricht</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>&amp;To</source>
        <translation>&amp;An</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Message</source>
        <translation>&amp;Nachricht</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>&amp;Queue</source>
        <translation>&amp;Vormerken</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Send &amp;now</source>
        <translation>&amp;Jetzt senden</translation>
    </message>
    <message>
        <location line="+53"/>
        <source>Test SMS to {to}: {status}.</source>
        <translation>Test-SMS an {to}: {status}.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Test SMS to {to} queued; the next sync sends it.</source>
        <translation>Test-SMS an {to} vorgemerkt; die nächste Synchronisierung sendet sie.</translation>
    </message>
</context>
<context>
    <name>ShortcutsDialog</name>
    <message>
        <location filename="../../ui/shortcuts_dialog.py" line="+23"/>
        <source>Next or previous control</source>
        <translation>Nächstes oder vorheriges Bedienelement</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Press the button or menu with that letter</source>
        <translation>Knopf oder Menü mit diesem Buchstaben drücken</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Next or previous tab</source>
        <translation>Nächster oder vorheriger Reiter</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Open the company list</source>
        <translation>Firmenliste öffnen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Switch to the company typed</source>
        <translation>Zur getippten Firma wechseln</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Save the form (in a field)</source>
        <translation>Formular speichern (in einem Feld)</translation>
    </message>
    <message>
        <location line="+31"/>
        <source>Keyboard Shortcuts</source>
        <extracomment>An action whose text changes with the state (a count) names itself for this list here.</extracomment>
        <translation>Tastenkürzel</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Action</source>
        <translation>Aktion</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Keys</source>
        <translation>Tasten</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Window</source>
        <translation>Fenster</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>In fields and lists</source>
        <translation>In Feldern und Listen</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Underlined letters in buttons and menus work with Alt.</source>
        <translation>Unterstrichene Buchstaben in Knöpfen und Menüs wirken mit Alt.</translation>
    </message>
</context>
<context>
    <name>StartupErrorWindow</name>
    <message>
        <location filename="../../ui/startup_error.py" line="+22"/>
        <source>ffdesk — cannot start</source>
        <translation>ffdesk — Start nicht möglich</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>ffdesk could not open its data</source>
        <translation>ffdesk konnte seine Daten nicht öffnen</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Quit</source>
        <translation>Beenden</translation>
    </message>
</context>
<context>
    <name>States</name>
    <message>
        <location filename="../../ui/labels.py" line="+9"/>
        <source>Not Installed</source>
        <translation>Nicht installiert</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Installed</source>
        <translation>Installiert</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Enabled</source>
        <translation>Aktiviert</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Unavailable</source>
        <translation>Nicht verfügbar</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Syncing</source>
        <translation>Synchronisierung</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Running</source>
        <translation>Läuft</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Done</source>
        <translation>Fertig</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Done with failures</source>
        <translation>Mit Fehlern beendet</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Failed</source>
        <translation>Fehlgeschlagen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Cancelled</source>
        <translation>Abgebrochen</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Stopped</source>
        <translation>Angehalten</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Manual</source>
        <translation>Manuell</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Schedule</source>
        <translation>Zeitplan</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Command line</source>
        <translation>Kommandozeile</translation>
    </message>
</context>
<context>
    <name>SyncController</name>
    <message>
        <location filename="../../ui/sync_controller.py" line="+93"/>
        <source>The sync was stopped.</source>
        <extracomment>Progress is reported at most this often (a sync may count thousands of records a second).</extracomment>
        <translation>Die Synchronisierung wurde angehalten.</translation>
    </message>
</context>
<context>
    <name>TrackShipmentDialog</name>
    <message>
        <location filename="../../ui/records_dialogs.py" line="+32"/>
        <source>Track a shipment</source>
        <translation>Sendung verfolgen</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>1Z999AA10123456784</source>
        <translation>1Z999AA10123456784</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Tracking number</source>
        <translation>Sendungsnummer</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Tracking &amp;number</source>
        <translation>Sendungs&amp;nummer</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>UPS&apos;s next sync fetches its status.</source>
        <translation>Die nächste UPS-Synchronisierung ruft ihren Status ab.</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>&amp;Add</source>
        <translation>&amp;Hinzufügen</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>Shipment {number} added; UPS&apos;s next sync fetches its status.</source>
        <translation>Sendung {number} hinzugefügt; die nächste UPS-Synchronisierung ruft ihren Status ab.</translation>
    </message>
</context>
<context>
    <name>TrayIcon</name>
    <message>
        <location filename="../../ui/tray.py" line="+50"/>
        <source>Open ffdesk</source>
        <translation>ffdesk öffnen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Sync all now</source>
        <translation>Alle jetzt synchronisieren</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Pause all schedules</source>
        <translation>Alle Zeitpläne anhalten</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Quit</source>
        <translation>Beenden</translation>
    </message>
    <message>
        <location line="+35"/>
        <source>ffdesk: no sync running</source>
        <translation>ffdesk: keine Synchronisierung läuft</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ffdesk: syncing…</source>
        <translation>ffdesk: synchronisiert…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ffdesk: a scheduled sync failed</source>
        <translation>ffdesk: eine geplante Synchronisierung ist fehlgeschlagen</translation>
    </message>
</context>
<context>
    <name>page</name>
    <message>
        <location filename="../../ui/activity.py" line="+22"/>
        <source>No change has been made yet.</source>
        <translation>Es wurde noch nichts geändert.</translation>
    </message>
</context>
</TS>
