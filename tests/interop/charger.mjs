// A charger written with ocpp-rpc in strict mode: every answer ChargeFix sends and every
// command it issues is checked against the official OCPP JSON schemas by a library we did
// not write. Prints one JSON object per line; "ready" once booted; exits when stdin closes.
import { RPCClient } from 'ocpp-rpc';
import readline from 'node:readline';

const [endpoint, identity, password, version] = process.argv.slice(2);
const protocol = version === '2.0.1' ? 'ocpp2.0.1' : 'ocpp1.6';
const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
const now = () => new Date().toISOString();

const cli = new RPCClient({ endpoint, identity, password, protocols: [protocol], strictMode: true });
cli.on('strictValidationFailure', (e) => out({ event: 'strictValidationFailure', error: String(e.error ?? e) }));
cli.on('badMessage', (e) => out({ event: 'badMessage', error: String(e.error ?? e) }));

const handled = (method, result) => cli.handle(method, ({ params }) => {
  out({ event: 'command', method, params });
  return result(params);
});

if (protocol === 'ocpp1.6') {
  handled('Reset', () => ({ status: 'Accepted' }));
  handled('UnlockConnector', () => ({ status: 'Unlocked' }));
  handled('ChangeAvailability', () => ({ status: 'Accepted' }));
  handled('TriggerMessage', () => ({ status: 'Accepted' }));
  handled('GetConfiguration', () => ({ configurationKey: [{ key: 'HeartbeatInterval', readonly: false, value: '300' }] }));
  handled('ChangeConfiguration', () => ({ status: 'Accepted' }));
  handled('ClearCache', () => ({ status: 'Accepted' }));
  handled('GetDiagnostics', () => ({ fileName: 'diag.log' }));
  handled('RemoteStopTransaction', () => ({ status: 'Accepted' }));
  handled('RemoteStartTransaction', () => ({ status: 'Accepted' }));
  handled('UpdateFirmware', () => ({}));
  handled('DataTransfer', () => ({ status: 'UnknownVendorId' }));
  handled('GetInstalledCertificateIds', () => ({ status: 'NotFound' }));
  handled('InstallCertificate', () => ({ status: 'Accepted' }));
  handled('DeleteCertificate', () => ({ status: 'NotFound' }));
  handled('CertificateSigned', () => ({ status: 'Rejected' }));
} else {
  handled('Reset', () => ({ status: 'Accepted' }));
  handled('UnlockConnector', () => ({ status: 'Unlocked' }));
  handled('ChangeAvailability', () => ({ status: 'Accepted' }));
  handled('TriggerMessage', () => ({ status: 'Accepted' }));
  handled('GetVariables', (p) => ({ getVariableResult: p.getVariableData.map((d) => ({ attributeStatus: 'Accepted', component: d.component, variable: d.variable, attributeValue: '300' })) }));
  handled('SetVariables', (p) => ({ setVariableResult: p.setVariableData.map((d) => ({ attributeStatus: 'Accepted', component: d.component, variable: d.variable })) }));
  handled('ClearCache', () => ({ status: 'Accepted' }));
  handled('GetLog', () => ({ status: 'Accepted', filename: 'log.txt' }));
  handled('RequestStopTransaction', () => ({ status: 'Accepted' }));
  handled('RequestStartTransaction', () => ({ status: 'Accepted' }));
  handled('GetTransactionStatus', (p) => (p.transactionId ? { messagesInQueue: false, ongoingIndicator: false } : { messagesInQueue: false }));
  handled('UpdateFirmware', () => ({ status: 'Accepted' }));
  handled('DataTransfer', (p) => ({ status: 'Accepted', data: { echo: p.data } }));
  handled('GetInstalledCertificateIds', () => ({
    status: 'Accepted',
    certificateHashDataChain: [{
      certificateType: 'CSMSRootCertificate',
      certificateHashData: { hashAlgorithm: 'SHA256', issuerNameHash: 'ab'.repeat(32), issuerKeyHash: 'cd'.repeat(32), serialNumber: '1a2b' },
    }],
  }));
  // B07/B08: accept, then send the report in two parts (seqNo 0 with tbc, then seqNo 1). The
  // SummaryInventory self-diagnosis asks for at boot is answered without a 'command' line.
  const report = (method) => cli.handle(method, ({ params }) => {
    if (params.reportBase !== 'SummaryInventory') out({ event: 'command', method, params });
    setTimeout(() => notifyReport(params.requestId, params.reportBase ?? 'Custom'), 0);
    return { status: 'Accepted' };
  });
  report('GetBaseReport');
  report('GetReport');
  handled('SetVariableMonitoring', (p) => ({ setMonitoringResult: p.setMonitoringData.map((d, i) => ({ id: i + 1, status: 'Accepted', type: d.type, severity: d.severity, component: d.component, variable: d.variable })) }));
  handled('ClearVariableMonitoring', (p) => ({ clearMonitoringResult: p.id.map((id) => ({ id, status: 'Accepted' })) }));
  handled('SetMonitoringBase', () => ({ status: 'Accepted' }));
  handled('SetMonitoringLevel', () => ({ status: 'Accepted' }));
  handled('SetNetworkProfile', () => ({ status: 'Accepted' })); // B09
  // N09: accept, then the customer's data in two parts
  cli.handle('CustomerInformation', ({ params }) => {
    out({ event: 'command', method: 'CustomerInformation', params });
    if (params.report) setTimeout(() => notifyCustomerInformation(params.requestId), 0);
    return { status: 'Accepted' };
  });
  // N02: accept, then the monitors in two parts
  cli.handle('GetMonitoringReport', ({ params }) => {
    out({ event: 'command', method: 'GetMonitoringReport', params });
    setTimeout(() => notifyMonitoringReport(params.requestId), 0);
    return { status: 'Accepted' };
  });
  handled('InstallCertificate', () => ({ status: 'Accepted' }));
  handled('DeleteCertificate', () => ({ status: 'Accepted' }));
  handled('CertificateSigned', () => ({ status: 'Accepted' }));
}

const MONITORS = [
  { component: { name: 'EVSE', evse: { id: 1 } }, variable: { name: 'Power' }, variableMonitoring: [{ id: 1, transaction: false, value: 23000, type: 'UpperThreshold', severity: 4 }] },
  { component: { name: 'ChargingStation' }, variable: { name: 'Temperature' }, variableMonitoring: [{ id: 2, transaction: true, value: 5, type: 'Delta', severity: 7 }] },
];

async function notifyCustomerInformation(requestId) {
  await step('NotifyCustomerInformation', { data: 'sessions: 3', tbc: true, seqNo: 0, generatedAt: now(), requestId });
  await step('NotifyCustomerInformation', { data: ', 41.2 kWh', tbc: false, seqNo: 1, generatedAt: now(), requestId });
  out({ event: 'reported', reportBase: 'Customer' });
}

async function notifyMonitoringReport(requestId) {
  await step('NotifyMonitoringReport', { requestId, generatedAt: now(), seqNo: 0, tbc: true, monitor: MONITORS.slice(0, 1) });
  await step('NotifyMonitoringReport', { requestId, generatedAt: now(), seqNo: 1, tbc: false, monitor: MONITORS.slice(1) });
  out({ event: 'reported', reportBase: 'Monitors' });
}

const REPORT = [
  { component: { name: 'OCPPCommCtrlr' }, variable: { name: 'HeartbeatInterval' }, variableAttribute: [{ type: 'Actual', value: '300', mutability: 'ReadWrite', persistent: true }], variableCharacteristics: { unit: 's', dataType: 'integer', supportsMonitoring: false } },
  { component: { name: 'DeviceDataCtrlr' }, variable: { name: 'ItemsPerMessage', instance: 'GetVariables' }, variableAttribute: [{ type: 'Actual', value: '20', mutability: 'ReadOnly' }] },
  { component: { name: 'EVSE', evse: { id: 1 } }, variable: { name: 'Power' }, variableAttribute: [{ value: '22000' }], variableCharacteristics: { unit: 'W', dataType: 'decimal', maxLimit: 22000, supportsMonitoring: true } },
];

async function notifyReport(requestId, reportBase) {
  await step('NotifyReport', { requestId, generatedAt: now(), seqNo: 0, tbc: true, reportData: REPORT.slice(0, 2) });
  await step('NotifyReport', { requestId, generatedAt: now(), seqNo: 1, tbc: false, reportData: REPORT.slice(2) });
  out({ event: 'reported', reportBase });
}

async function step(method, params) {
  try {
    const result = await cli.call(method, params);
    out({ event: 'call', method, ok: true, result });
    return result;
  } catch (error) {
    out({ event: 'call', method, ok: false, error: String(error && error.message || error) });
    return null;
  }
}

async function life16() {
  await step('BootNotification', { chargePointVendor: 'Voltara', chargePointModel: 'WB-22', firmwareVersion: 'VT-WB 3.4.2' });
  await step('Heartbeat', {});
  await step('StatusNotification', { connectorId: 0, errorCode: 'NoError', status: 'Available' });
  await step('StatusNotification', { connectorId: 1, errorCode: 'GroundFailure', vendorErrorCode: 'E-101', status: 'Faulted', timestamp: now() });
  await step('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Available' });
  await step('Authorize', { idTag: 'TAG-1' });
  const started = await step('StartTransaction', { connectorId: 1, idTag: 'TAG-1', meterStart: 100, timestamp: now() });
  const tx = started ? started.transactionId : 1;
  await step('MeterValues', { connectorId: 1, transactionId: tx, meterValue: [{ timestamp: now(), sampledValue: [{ value: '1500', measurand: 'Energy.Active.Import.Register', unit: 'Wh' }] }] });
  await step('StopTransaction', { transactionId: tx, meterStop: 1500, timestamp: now(), reason: 'Local', idTag: 'TAG-1' });
  await step('DataTransfer', { vendorId: 'Voltara', messageId: 'Diag', data: 'x' });
  await step('DataTransfer', { vendorId: 'Voltara' });
  await step('DiagnosticsStatusNotification', { status: 'Idle' });
  await step('SignCertificate', { csr: 'not a CSR: answered Rejected' });
  for (const status of ['Downloading', 'Downloaded', 'Installing', 'InstallationFailed', 'Idle']) {
    await step('FirmwareStatusNotification', { status });
  }
}

async function life201() {
  await step('BootNotification', { chargingStation: { model: 'HX-150', vendorName: 'Helion Power', firmwareVersion: 'HX 5.2.7' }, reason: 'PowerUp' });
  await step('Heartbeat', {});
  await step('StatusNotification', { timestamp: now(), connectorStatus: 'Available', evseId: 1, connectorId: 1 });
  await step('NotifyEvent', { generatedAt: now(), seqNo: 0, eventData: [{ eventId: 1, timestamp: now(), trigger: 'Alerting', actualValue: 'true', techCode: 'HX-1104', eventNotificationType: 'HardWiredNotification', component: { name: 'RCD', evse: { id: 1 } }, variable: { name: 'Tripped' } }] });
  await step('Authorize', { idToken: { idToken: 'TAG-1', type: 'ISO14443' } });
  await step('TransactionEvent', { eventType: 'Started', timestamp: now(), triggerReason: 'Authorized', seqNo: 0, transactionInfo: { transactionId: 'T-1' }, evse: { id: 1, connectorId: 1 }, idToken: { idToken: 'TAG-1', type: 'ISO14443' } });
  await step('MeterValues', { evseId: 1, meterValue: [{ timestamp: now(), sampledValue: [{ value: 1500 }] }] });
  await step('TransactionEvent', { eventType: 'Ended', timestamp: now(), triggerReason: 'StopAuthorized', seqNo: 1, transactionInfo: { transactionId: 'T-1', stoppedReason: 'Local' } });
  // the RCD reset itself: the fault clears (a safety fault would hold resets and starts)
  await step('NotifyEvent', { generatedAt: now(), seqNo: 0, eventData: [{ eventId: 2, timestamp: now(), trigger: 'Alerting', actualValue: 'false', cleared: true, eventNotificationType: 'HardWiredNotification', component: { name: 'RCD', evse: { id: 1 } }, variable: { name: 'Tripped' } }] });
  await step('LogStatusNotification', { status: 'Idle' });
  await step('DataTransfer', { vendorId: 'com.helion', messageId: 'Ping', data: { n: 1 } });
  for (const status of ['Downloading', 'Downloaded', 'SignatureVerified', 'Installing', 'InstallRebooting', 'Installed', 'InvalidSignature']) {
    await step('FirmwareStatusNotification', { status, requestId: 7 });
  }
  await step('FirmwareStatusNotification', { status: 'Idle' });
  await step('SecurityEventNotification', { type: 'StartupOfTheDevice', timestamp: now() });
  await step('SignCertificate', { csr: 'not a CSR: answered Rejected', certificateType: 'ChargingStationCertificate' });
  await step('NotifyReport', { requestId: 1, generatedAt: now(), seqNo: 0 });
}

await cli.connect();
out({ event: 'connected', protocol: cli.protocol });
if (protocol === 'ocpp1.6') await life16(); else await life201();
out({ event: 'ready' });
const rl = readline.createInterface({ input: process.stdin });
rl.on('close', async () => { await cli.close(); process.exit(0); });
