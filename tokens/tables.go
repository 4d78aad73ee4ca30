package tokens

// Costs are kept in units of 1/256 token so that fractional expectations add
// up without rounding each piece.
const unit = 256

// The tables below hold average o200k_base token counts over English prose,
// Markdown, Go, Python and JavaScript source, and JSON.

// wordExtraByLength is the expected number of tokens beyond the first for a
// word of ASCII letters, by what joins it to the preceding text (joinNone...),
// its shape (lowercase, Capitalised, or two or more capitals) and its length
// up to 16 letters. Longer words add a quarter token per letter.
var wordExtraByLength = [5][3][17]uint16{ // [join][shape][letters]
	{
		{0, 0, 0, 1, 32, 60, 67, 113, 156, 156, 156, 156, 253, 414, 472, 472, 513},
		{0, 0, 15, 15, 15, 20, 29, 30, 39, 64, 64, 81, 81, 81, 120, 152, 184},
		{0, 0, 0, 41, 120, 189, 253, 261, 354, 354, 354, 417, 456, 493, 517, 567, 592},
	},
	{
		{0, 0, 7, 12, 13, 19, 20, 24, 32, 38, 54, 65, 65, 75, 109, 109, 140},
		{0, 0, 4, 11, 20, 57, 93, 93, 116, 123, 133, 140, 140, 161, 186, 186, 220},
		{0, 0, 6, 6, 12, 110, 110, 110, 149, 149, 149, 180, 248, 248, 296, 296, 334},
	},
	{
		{0, 0, 6, 21, 35, 77, 77, 99, 173, 257, 280, 313, 358, 466, 510, 547, 568},
		{0, 0, 32, 70, 82, 100, 100, 102, 205, 324, 390, 397, 397, 426, 451, 483, 515},
		{0, 0, 105, 130, 130, 151, 224, 294, 387, 445, 509, 557, 662, 717, 781, 831, 877},
	},
	{
		{0, 0, 2, 4, 19, 19, 40, 45, 76, 132, 132, 135, 175, 175, 193, 281, 356},
		{0, 0, 5, 12, 24, 31, 44, 47, 96, 96, 96, 96, 121, 141, 174, 203, 241},
		{0, 0, 3, 24, 114, 145, 161, 282, 352, 352, 418, 450, 508, 508, 550, 561, 597},
	},
	{
		{0, 4, 37, 124, 155, 165, 201, 269, 269, 310, 363, 408, 524, 565, 565, 608, 608},
		{0, 36, 156, 203, 203, 203, 239, 274, 287, 304, 376, 376, 376, 398, 424, 456, 488},
		{0, 0, 205, 205, 280, 368, 368, 368, 467, 567, 567, 630, 630, 643, 675, 707, 739},
	},
}

// wordCosts holds, for rows join*3+shape and lengths up to 31 letters, the
// cost of a word before its letter-pair scores: one token, wordExtraByLength,
// and the mean letter-pair score taken off each pair so that the scores add
// nothing on average. The rows and columns are powers of two so that a
// lookup needs no bounds checks.
var wordCosts = func() (t [16][32]uint16) {
	for join, shapes := range wordExtraByLength {
		for shape, row := range shapes {
			for l := range t[0] {
				extra := int(row[min(l, 16)]) + max(l-16, 0)*unit/4
				t[join*3+shape][l] = uint16(unit + extra - max(l-1, 0)*bigramMean)
			}
		}
	}
	return t
}()

// bigram scores each pair of adjacent letters, case folded, by how often the
// tokenizer splits a word between them (255: always). Common pairs such as
// "th" or "in" score near zero; pairs that English hardly uses score high,
// which is what makes identifiers, names and random strings such as base64
// cost more than dictionary words of the same length. The scores of a word's
// pairs are added to its cost, less bigramMean each. bigram is indexed by
// the low five bits of the two letters, which fold case, and scores 0 for a
// pair with no first letter.
var bigram = func() (t [1024]uint8) {
	for i, row := range bigramRows {
		for j, v := range row {
			t[(i+1)<<5|(j+1)] = v
		}
	}
	return t
}()

// bigramRows[a][b] scores the letter a followed by b.
var bigramRows = [26][26]uint8{
	{109, 1, 2, 1, 112, 8, 0, 51, 6, 29, 2, 0, 1, 0, 151, 1, 88, 1, 1, 0, 12, 0, 7, 2, 0, 12},                                     // a
	{20, 111, 110, 83, 7, 136, 90, 196, 38, 3, 185, 2, 161, 224, 8, 247, 194, 23, 57, 105, 17, 43, 148, 178, 4, 87},               // b
	{14, 55, 14, 97, 5, 85, 122, 0, 26, 143, 0, 4, 49, 28, 5, 72, 73, 7, 58, 2, 23, 98, 108, 87, 9, 40},                           // c
	{24, 35, 173, 6, 4, 114, 57, 202, 21, 66, 44, 51, 127, 133, 11, 113, 134, 45, 19, 66, 18, 25, 105, 36, 11, 246},               // d
	{12, 46, 10, 2, 14, 5, 10, 56, 51, 90, 120, 5, 7, 0, 70, 25, 11, 0, 0, 2, 35, 31, 5, 1, 1, 126},                               // e
	{7, 112, 82, 21, 18, 5, 9, 204, 12, 221, 81, 29, 45, 36, 3, 104, 215, 4, 35, 3, 11, 211, 216, 172, 2, 233},                    // f
	{54, 39, 158, 49, 3, 173, 60, 3, 29, 250, 224, 35, 25, 11, 14, 103, 243, 29, 15, 10, 19, 84, 219, 199, 102, 102},              // g
	{17, 150, 232, 186, 1, 204, 102, 143, 6, 153, 221, 161, 100, 67, 12, 156, 153, 17, 28, 0, 19, 204, 60, 153, 59, 75},           // h
	{11, 1, 0, 0, 1, 1, 0, 42, 32, 58, 3, 0, 0, 0, 2, 0, 7, 1, 0, 0, 16, 0, 64, 1, 222, 0},                                        // i
	{68, 153, 221, 180, 2, 185, 162, 178, 192, 136, 60, 153, 193, 51, 13, 125, 102, 114, 1, 187, 15, 194, 122, 194, 153, 178},     // j
	{17, 164, 181, 141, 8, 173, 7, 139, 31, 194, 40, 108, 196, 44, 126, 170, 221, 172, 70, 109, 88, 162, 25, 194, 21, 237},        // k
	{20, 47, 155, 14, 2, 3, 67, 58, 15, 204, 25, 9, 127, 85, 10, 34, 245, 54, 11, 9, 5, 26, 44, 175, 2, 145},                      // l
	{11, 6, 197, 44, 7, 219, 92, 49, 29, 248, 217, 101, 12, 48, 12, 10, 144, 232, 14, 68, 46, 198, 125, 76, 10, 230},              // m
	{45, 162, 11, 2, 8, 17, 0, 127, 17, 138, 3, 41, 82, 14, 11, 40, 210, 190, 9, 2, 15, 28, 102, 230, 5, 165},                     // n
	{18, 3, 16, 1, 41, 3, 11, 88, 30, 5, 3, 3, 0, 0, 12, 3, 153, 0, 4, 2, 1, 6, 0, 7, 5, 77},                                      // o
	{11, 117, 73, 72, 4, 64, 139, 22, 34, 102, 23, 2, 2, 167, 10, 14, 145, 6, 11, 10, 9, 67, 220, 29, 5, 194},                     // p
	{194, 211, 92, 199, 153, 153, 153, 153, 153, 178, 153, 28, 244, 115, 194, 138, 194, 125, 196, 92, 0, 178, 178, 153, 153, 211}, // q
	{21, 69, 16, 13, 2, 58, 2, 147, 17, 239, 5, 54, 6, 10, 5, 79, 199, 5, 8, 4, 11, 8, 51, 74, 0, 221},                            // r
	{32, 178, 40, 61, 2, 72, 49, 8, 25, 247, 11, 70, 35, 72, 16, 20, 121, 53, 13, 1, 16, 118, 38, 215, 60, 142},                   // s
	{19, 94, 36, 80, 6, 94, 234, 1, 20, 221, 124, 89, 95, 85, 6, 15, 217, 4, 26, 9, 13, 185, 18, 89, 3, 75},                       // t
	{11, 0, 3, 1, 1, 16, 1, 107, 6, 183, 39, 0, 1, 0, 79, 4, 211, 0, 3, 0, 112, 40, 175, 9, 136, 55},                              // u
	{4, 230, 58, 179, 5, 224, 48, 239, 28, 153, 153, 226, 83, 165, 41, 192, 153, 133, 186, 144, 134, 221, 207, 248, 102, 153},     // v
	{15, 86, 218, 39, 3, 141, 44, 0, 11, 194, 237, 171, 164, 7, 4, 176, 178, 10, 12, 197, 97, 153, 4, 143, 92, 233},               // w
	{28, 34, 50, 36, 32, 187, 211, 135, 52, 153, 194, 236, 21, 141, 194, 18, 211, 208, 234, 3, 230, 172, 230, 18, 14, 153},        // x
	{116, 83, 58, 220, 36, 227, 132, 211, 30, 217, 162, 23, 32, 7, 4, 1, 153, 71, 7, 9, 208, 217, 26, 153, 145, 12},               // y
	{23, 114, 194, 92, 8, 153, 153, 120, 84, 153, 220, 237, 220, 138, 19, 153, 153, 221, 227, 115, 134, 153, 111, 115, 38, 74},    // z
}

// bigramMean is the average of bigram over the letter pairs of typical text.
const bigramMean = 10

// punctExtra is the expected number of tokens beyond the first for a run of
// ASCII punctuation, by whether a space leads it, whether line breaks end
// it, and how many punctuation characters it has, up to 8. Longer runs add
// 0.6 token per character.
var punctExtra = [2][2][9]uint16{
	{{0, 0, 3, 64, 192, 264, 458, 663, 886}, {0, 0, 5, 84, 177, 317, 410, 586, 822}},
	{{0, 0, 5, 131, 238, 407, 476, 625, 870}, {0, 0, 3, 26, 215, 335, 380, 700, 940}},
}

// jsonExtra is punctExtra for runs made only of `"`, `:`, `,`, braces and
// brackets, up to 6 characters. Longer runs add 0.8 token per character.
var jsonExtra = [7]uint16{0, 0, 0, 8, 100, 256, 490}
