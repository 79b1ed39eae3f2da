#!/usr/bin/env node
import { createApp } from '#infra/app';

// `npx cdk synth|diff|deploy [-c stage=prod] [-c key=value ...]`; the keys are documented in docs/configuration.md.
createApp();
