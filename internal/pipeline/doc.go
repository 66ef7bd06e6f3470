// Package pipeline is the script side of Reelforge: it turns a screenplay or shot list into
// a Storyboard, writes a generation prompt for every shot, checks prompts for common
// mistakes and derives subtitles from the dialogue.
//
// The package is pure: no HTTP, no storage, no provider calls. A Storyboard is a project
// document that other code stores as JSON and edits with JSON Patch, so its JSON shape is
// part of the API: snake_case names and slices that are always arrays, never null.
//
// Parse accepts Simplified Chinese and English scripts written in the many informal styles
// content teams use (短剧 scripts with 场景/镜头/角色：台词, screenplay sluglines and
// capitalised speaker names, Markdown shot lists, ad shot lists with durations). It never
// rejects text it does not understand; such lines become action and are reported in
// Storyboard.Warnings with their line numbers.
package pipeline
